"""The data plane in process: Predict, metadata and status over a manager with a fake
servable (one signature around a Python function), and the metrics they record."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from serving.model_server.config import BatchingOptions
from serving.model_server.data_plane import DataPlane, Prediction
from serving.model_server.errors import LoadError, ServingError
from serving.model_server.manager import ModelManager
from serving.model_server.metrics import Metrics
from serving.model_server.servable import Servable, Signature
from tests.model_server.fakes import config

NEVER = 3_600_000_000  # an hour's batch window: a lone request waits for its deadline


def _float_vector(info: meta_graph_pb2.TensorInfo) -> None:
    info.dtype = types_pb2.DT_FLOAT
    info.tensor_shape.dim.add(size=-1)


def _servable(path: Path) -> Servable:
    """x -> doubled, plus_one; version 2 fails to load."""
    if path.name == "2":
        raise LoadError("2 is broken", grpc.StatusCode.DATA_LOSS)
    definition = meta_graph_pb2.SignatureDef()
    for info in (
        definition.inputs["x"],
        definition.outputs["doubled"],
        definition.outputs["plus_one"],
    ):
        _float_vector(info)

    def function(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        x = inputs["x"]
        return {"doubled": x * 2, "plus_one": x + 1}

    signature = Signature("serving_default", definition, function)
    return Servable(path, {"serving_default": definition}, {"serving_default": signature}, None)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def served(base: Path, metrics: Metrics) -> Iterator[ModelManager]:
    """A manager serving version 1 of `base` as "mnist", each version a `_servable`."""
    manager = ModelManager(metrics, warmup_iterations=None, poll_seconds=0, load=_servable)
    manager.start(config(base))
    yield manager
    manager.stop()


@pytest.fixture
def data_plane(served: ModelManager, metrics: Metrics) -> Iterator[DataPlane]:
    plane = DataPlane(served, metrics, batching=None, model_threads=1)
    yield plane
    plane.close()


def predict(
    plane: DataPlane, output_filter: tuple[str, ...] = (), timeout: float | None = None
) -> Prediction:
    spec = model_pb2.ModelSpec(name="mnist")
    inputs = {"x": np.array([1.0, 2.0], dtype=np.float32)}
    return asyncio.run(plane.predict(spec, inputs, output_filter, "GRPC", timeout))


def count(metrics: Metrics, status: str) -> str:
    labels = f'model_name="mnist",status="{status}",version="1",signature="serving_default"'
    return f":tensorflow:serving:request_count{{{labels}}} 1"


def test_predict_answers_with_the_version_and_signature_it_used(
    data_plane: DataPlane, metrics: Metrics
) -> None:
    prediction = predict(data_plane)
    assert (prediction.model_name, prediction.version) == ("mnist", 1)
    assert prediction.signature_name == "serving_default"  # the default, named
    assert prediction.outputs["doubled"].tolist() == [2.0, 4.0]
    assert count(metrics, "OK") in metrics.exposition()


def test_the_output_filter_keeps_the_outputs_asked_for(data_plane: DataPlane) -> None:
    assert list(predict(data_plane, ("plus_one",)).outputs) == ["plus_one"]


@pytest.mark.parametrize(
    ("output_filter", "message"),
    [
        (("logits",), "output tensor alias not found in signature: logits"),
        (("plus_one", "plus_one"), "duplicate output tensor alias: plus_one"),
    ],
)
def test_a_bad_output_filter_is_invalid_argument(
    data_plane: DataPlane, metrics: Metrics, output_filter: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ServingError, match=message) as caught:
        predict(data_plane, output_filter)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert count(metrics, "INVALID_ARGUMENT") in metrics.exposition()


def test_a_request_past_its_deadline_is_deadline_exceeded(
    served: ModelManager, metrics: Metrics
) -> None:
    plane = DataPlane(served, metrics, BatchingOptions(batch_timeout_micros=NEVER), 1)
    try:
        with pytest.raises(ServingError) as caught:
            predict(plane, timeout=0)
    finally:
        plane.close()
    assert (caught.value.code, caught.value.message) == (
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "Deadline Exceeded",
    )
    assert count(metrics, "DEADLINE_EXCEEDED") in metrics.exposition()


def test_metadata_needs_the_signature_def_field(data_plane: DataPlane) -> None:
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = "mnist"
    with pytest.raises(ServingError, match="must specify at least one metadata_field"):
        data_plane.metadata(request)
    request.metadata_field.append("signature_def")
    response = data_plane.metadata(request)
    assert response.model_spec.version.value == 1
    signatures = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signatures)
    assert list(signatures.signature_def) == ["serving_default"]


def test_status_carries_a_failed_versions_code_and_message(
    base: Path, served: ModelManager, data_plane: DataPlane
) -> None:
    (base / "2").mkdir()
    served.poll_once()
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "mnist"
    two, one = data_plane.status(request).model_version_status
    assert (two.version, two.state) == (2, get_model_status_pb2.ModelVersionStatus.END)
    assert two.status.error_code == grpc.StatusCode.DATA_LOSS.value[0]
    assert two.status.error_message == "2 is broken"
    assert (one.version, one.state) == (1, get_model_status_pb2.ModelVersionStatus.AVAILABLE)
    assert one.status.error_code == 0
