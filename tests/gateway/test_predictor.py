"""The gRPC client's conversions (predictor.py): the request's ModelSpec, the checked
probabilities of an answer, and signatures without protobuf. Real gRPC: test_integration.py."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
import pytest

from reader.judge import Calibration
from serving.gateway.errors import UpstreamRejected
from serving.gateway.predictor import (
    GrpcPredictor,
    SignatureMetadata,
    TensorMetadata,
    VersionSelector,
    model_spec,
    result_from,
    signature_metadata,
)
from serving.tfs_api import meta_graph_pb2, predict_pb2, stubs, tensors, types_pb2


def test_model_spec_pins_a_version_or_a_label() -> None:
    assert model_spec("mnist", VersionSelector(version=3)).version.value == 3
    labelled = model_spec("mnist", VersionSelector(label="stable"), "serving_default")
    assert (labelled.version_label, labelled.signature_name) == ("stable", "serving_default")
    assert not model_spec("mnist", VersionSelector()).HasField("version")


def answer(
    probabilities: np.ndarray, digit_scores: np.ndarray | None = None
) -> predict_pb2.PredictResponse:
    response = predict_pb2.PredictResponse()
    response.outputs["probabilities"].CopyFrom(tensors.make_tensor_proto(probabilities))
    if digit_scores is not None:
        response.outputs["digit_score"].CopyFrom(tensors.make_tensor_proto(digit_scores))
    return response


def test_probabilities_are_read_and_checked() -> None:
    rows = np.full((2, 10), 0.1, np.float32)
    result = result_from(answer(rows), 2, "mnist")
    assert np.array_equal(result.probabilities, rows)
    assert result.digit_scores is None  # a version exported before digit_score
    with pytest.raises(UpstreamRejected, match=r"shape \(2, 10\), expected \(3, 10\)"):
        result_from(answer(rows), 3, "mnist")
    with pytest.raises(UpstreamRejected, match="no 'probabilities' output"):
        result_from(predict_pb2.PredictResponse(), 1, "mnist")


def test_digit_scores_are_read_and_checked_when_the_version_has_them() -> None:
    rows = np.full((2, 10), 0.1, np.float32)
    scores = np.array([0.9, 0.02], np.float32)
    read = result_from(answer(rows, scores), 2, "mnist").digit_scores
    assert read is not None and np.array_equal(read, scores)
    with pytest.raises(UpstreamRejected, match=r"'digit_score' of shape \(3,\), expected \(2,\)"):
        result_from(answer(rows, np.ones(3, np.float32)), 2, "mnist")


def test_the_versions_calibration_comes_with_its_answer() -> None:
    rows = np.full((2, 10), 0.1, np.float32)
    response = answer(rows, np.ones(2, np.float32))
    assert result_from(response, 2, "mnist").calibration is None  # exported before it
    for name, value in (("min_digit_score", 0.125), ("min_margin", 0.375)):
        response.outputs[name].CopyFrom(tensors.make_tensor_proto(np.full(2, value, np.float32)))
    assert result_from(response, 2, "mnist").calibration == Calibration(0.125, 0.375)
    response.outputs["min_margin"].CopyFrom(
        tensors.make_tensor_proto(np.array([0.375, 0.5], np.float32))
    )
    with pytest.raises(UpstreamRejected, match="'min_margin' output is not one number"):
        result_from(response, 2, "mnist")


def test_signature_metadata_names_dtypes_and_shapes() -> None:
    proto = meta_graph_pb2.SignatureDef(method_name="tensorflow/serving/predict")
    images = proto.inputs["images"]
    images.dtype = types_pb2.DT_FLOAT
    images.tensor_shape.dim.add(size=-1)
    images.tensor_shape.dim.add(size=784)
    proto.outputs["scores"].tensor_shape.unknown_rank = True
    proto.outputs["scores"].dtype = types_pb2.DT_FLOAT
    assert signature_metadata(proto) == SignatureMetadata(
        inputs={"images": TensorMetadata("float", [-1, 784])},
        outputs={"scores": TensorMetadata("float", None)},
        method_name="tensorflow/serving/predict",
    )


def test_predict_sends_the_request_id_as_grpc_metadata() -> None:
    """A real gRPC server in process records what GrpcPredictor sends."""
    seen: list[tuple[tuple[str, str], ...]] = []

    async def handle(request: predict_pb2.PredictRequest, context: object) -> object:
        seen.append(tuple(context.invocation_metadata()))  # type: ignore[attr-defined]
        return answer(np.full((1, 10), 0.1, np.float32))

    async def main() -> None:
        server = grpc.aio.server()
        handler = grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=predict_pb2.PredictRequest.FromString,
            response_serializer=predict_pb2.PredictResponse.SerializeToString,
        )
        server.add_generic_rpc_handlers(
            [grpc.method_handlers_generic_handler(stubs.PREDICTION_SERVICE, {"Predict": handler})]
        )
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        predictor = GrpcPredictor(f"127.0.0.1:{port}", "mnist", 5.0)
        try:
            images = np.zeros((1, 28, 28, 1), np.float32)
            await predictor.predict(images, VersionSelector(), request_id="req-7")
        finally:
            await predictor.close()
            await server.stop(None)

    asyncio.run(main())
    [metadata] = seen
    assert ("x-request-id", "req-7") in metadata
