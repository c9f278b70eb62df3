"""Conformance with TF Serving's APIs, through the official stubs and plain HTTP only."""

from collections.abc import Iterator

import grpc
import httpx
import numpy as np
import pytest
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
)

from processes.servers import ModelServerProcess
from tests.model_server.helpers import (
    RPC_TIMEOUT,
    Stubs,
    digits,
    metric_values,
    predict_request,
    stubs,
    to_array,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clients(model_server: ModelServerProcess) -> Iterator[Stubs]:
    channel, prediction, model = stubs(model_server.grpc_target)
    yield channel, prediction, model
    channel.close()


def _code(call, request) -> tuple[grpc.StatusCode, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=RPC_TIMEOUT)
    return caught.value.code(), caught.value.details()


# ---- gRPC Predict -----------------------------------------------------------------------


def test_predict_serving_default_classifies_held_out_digits(clients: Stubs) -> None:
    images, labels = digits(64)
    response = clients[1].Predict(predict_request(images), timeout=RPC_TIMEOUT)
    probabilities = to_array(response.outputs["probabilities"])
    classes = to_array(response.outputs["classes"])
    assert probabilities.shape == (64, 10) and classes.shape == (64,)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    np.testing.assert_array_equal(classes, probabilities.argmax(axis=1))
    assert (classes == labels).mean() >= 0.8
    assert response.model_spec.name == "mnist"
    assert response.model_spec.version.value == 1
    assert response.model_spec.signature_name == "serving_default"


def test_predict_images_signature_agrees_with_serving_default(clients: Stubs) -> None:
    images, _ = digits(8)
    default = clients[1].Predict(predict_request(images), timeout=RPC_TIMEOUT)
    flat = clients[1].Predict(
        predict_request(images.reshape(8, 784), "predict_images"), timeout=RPC_TIMEOUT
    )
    np.testing.assert_allclose(
        to_array(flat.outputs["scores"]), to_array(default.outputs["probabilities"]), atol=1e-5
    )


def test_predict_by_version_and_output_filter(clients: Stubs) -> None:
    request = predict_request(digits(2)[0], version=1)
    request.output_filter.append("classes")
    response = clients[1].Predict(request, timeout=RPC_TIMEOUT)
    assert list(response.outputs) == ["classes"]
    assert response.model_spec.version.value == 1


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            lambda r: setattr(r.model_spec, "name", "nope"),
            "NOT_FOUND",
            "Servable not found for request: Latest(nope)",
        ),
        (
            lambda r: r.model_spec.version.__setattr__("value", 9),
            "NOT_FOUND",
            "Servable not found for request: Specific(mnist, 9)",
        ),
        (
            lambda r: setattr(r.model_spec, "version_label", "nope"),
            "INVALID_ARGUMENT",
            "Unrecognized servable version label: nope",
        ),
        (
            lambda r: setattr(r.model_spec, "signature_name", "nope"),
            "FAILED_PRECONDITION",
            'Serving signature key "nope" not found.',
        ),
        (
            lambda r: r.inputs["pixels"].CopyFrom(r.inputs.pop("images")),
            "INVALID_ARGUMENT",
            "input tensor alias not found in signature: pixels",
        ),
        (
            lambda r: r.output_filter.append("logits"),
            "INVALID_ARGUMENT",
            "output tensor alias not found in signature: logits",
        ),
    ],
)
def test_predict_errors_carry_tf_serving_codes(clients: Stubs, change, code, message) -> None:  # type: ignore[no-untyped-def]
    request = predict_request(digits(1)[0])
    change(request)
    got_code, details = _code(clients[1].Predict, request)
    assert got_code == grpc.StatusCode[code]
    assert message in details


def test_predict_rejects_wrong_dtype_and_lets_the_graph_judge_shapes(clients: Stubs) -> None:
    request = predict_request(digits(1)[0])
    tensor = request.inputs["images"]
    tensor.dtype = 2  # DT_DOUBLE
    tensor.double_val.extend(tensor.float_val)
    tensor.ClearField("float_val")
    code, details = _code(clients[1].Predict, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "DT_FLOAT" in details
    # No shape check of our own: the convolution refuses rank 3, as in TF Serving.
    code, details = _code(clients[1].Predict, predict_request(np.zeros((1, 28, 28))))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details


def test_get_model_metadata_gives_both_signatures(clients: Stubs) -> None:
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "mnist"
    response = clients[1].GetModelMetadata(request, timeout=RPC_TIMEOUT)
    signatures = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signatures)
    default = signatures.signature_def["serving_default"]
    assert [d.size for d in default.inputs["images"].tensor_shape.dim] == [-1, 28, 28, 1]
    assert set(default.outputs) == {
        "probabilities",
        "classes",
        "digit_score",
        "min_digit_score",
        "min_margin",
    }
    flat = signatures.signature_def["predict_images"]
    assert [d.size for d in flat.inputs["images"].tensor_shape.dim] == [-1, 784]
    assert response.model_spec.version.value == 1

    request.ClearField("metadata_field")
    request.metadata_field.append("nope")
    code, details = _code(clients[1].GetModelMetadata, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "nope" in details


def test_get_model_status(clients: Stubs) -> None:
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "mnist"
    response = clients[2].GetModelStatus(request, timeout=RPC_TIMEOUT)
    [status] = response.model_version_status
    assert status.version == 1
    assert status.state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
    assert status.status.error_code == 0
    request.model_spec.name = "nope"
    code, details = _code(clients[2].GetModelStatus, request)
    assert (
        code == grpc.StatusCode.NOT_FOUND and "Could not find any versions of model nope" in details
    )


# ---- REST -------------------------------------------------------------------------------


def test_rest_status_and_metadata(model_server: ModelServerProcess) -> None:
    for path in ("/v1/models/mnist", "/v1/models/mnist/versions/1"):
        body = httpx.get(model_server.rest_url + path).json()
        assert body["model_version_status"][0]["state"] == "AVAILABLE"
        assert body["model_version_status"][0]["version"] == "1"
    metadata = httpx.get(model_server.rest_url + "/v1/models/mnist/metadata").json()
    signatures = metadata["metadata"]["signature_def"]["signature_def"]
    assert {"serving_default", "predict_images"} <= set(signatures)


def test_rest_predict_row_and_columnar_formats_agree_with_grpc(
    model_server: ModelServerProcess, clients: Stubs
) -> None:
    images, _ = digits(3)
    url = model_server.rest_url + "/v1/models/mnist:predict"
    rows = httpx.post(url, json={"instances": images.tolist()}).json()["predictions"]
    columns = httpx.post(url, json={"inputs": {"images": images.tolist()}}).json()["outputs"]
    flat = httpx.post(
        model_server.rest_url + "/v1/models/mnist/versions/1:predict",
        json={"signature_name": "predict_images", "instances": images.reshape(3, 784).tolist()},
    ).json()["predictions"]
    grpc_response = clients[1].Predict(predict_request(images), timeout=RPC_TIMEOUT)
    expected = to_array(grpc_response.outputs["probabilities"])
    assert [row["classes"] for row in rows] == columns["classes"]
    np.testing.assert_allclose([row["probabilities"] for row in rows], expected, atol=1e-6)
    np.testing.assert_allclose(columns["probabilities"], expected, atol=1e-6)
    np.testing.assert_allclose(flat, expected, atol=1e-5)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("GET", "/v1/models/nope", None, 404, "Could not find any versions of model nope"),
        ("GET", "/v1/models/mnist/versions/9", None, 404, "Could not find version 9"),
        ("POST", "/v1/models/nope:predict", {"instances": [1]}, 404, "Servable not found"),
        (
            "POST",
            "/v1/models/mnist/labels/x:predict",
            {"instances": [1]},
            400,
            "Unrecognized servable version label: x",
        ),
        ("POST", "/v1/models/mnist:predict", {"instances": [[1, 2]]}, 400, "4-dimensional"),
        (
            "POST",
            "/v1/models/mnist:predict",
            {"inputs": {"pixels": [1]}},
            400,
            "Missing named input: images in 'inputs' object.",
        ),
        (
            "POST",
            "/v1/models/mnist:predict",
            {"nothing": 1},
            400,
            "Missing 'inputs' or 'instances' key",
        ),
        (
            "POST",
            "/v1/models/mnist:predict",
            {"inputs": [], "instances": []},
            400,
            "only one of 'inputs' or 'instances'",
        ),
        (
            "POST",
            "/v1/models/mnist:predict",
            {"signature_name": 3, "inputs": []},
            400,
            "'signature_name' key must be a string value.",
        ),
        (
            "POST",
            "/v1/models/mnist:predict",
            {"signature_name": "x", "inputs": []},
            400,
            'Serving signature name: "x" not found',
        ),
    ],
)
def test_rest_errors(model_server: ModelServerProcess, method, path, body, status, message) -> None:  # type: ignore[no-untyped-def]
    reply = httpx.request(method, model_server.rest_url + path, json=body)
    assert reply.status_code == status
    assert message in reply.json()["error"]


def test_rest_rejects_malformed_json(model_server: ModelServerProcess) -> None:
    reply = httpx.post(model_server.rest_url + "/v1/models/mnist:predict", content=b"{nope")
    assert reply.status_code == 400 and "JSON Parse error" in reply.json()["error"]


def test_metrics_count_requests_by_version_and_status(
    model_server: ModelServerProcess, clients: Stubs
) -> None:
    def count(status: str) -> float:
        return metric_values(
            model_server.rest_url,
            ":tensorflow:serving:request_count",
            model_name="mnist",
            status=status,
        )

    ok, bad = count("OK"), count("INVALID_ARGUMENT")
    clients[1].Predict(predict_request(digits(1)[0]), timeout=RPC_TIMEOUT)
    _code(clients[1].Predict, predict_request(np.zeros((1, 3))))
    assert count("OK") == ok + 1
    assert count("INVALID_ARGUMENT") == bad + 1
    assert (
        metric_values(
            model_server.rest_url, ":tensorflow:serving:request_count", version="1", status="OK"
        )
        >= 1
    )
    assert metric_values(model_server.rest_url, "model_server_loaded_versions") == 1
