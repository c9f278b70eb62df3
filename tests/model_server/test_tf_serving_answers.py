"""TF Serving's answers, on a TF1 SavedModel `y = 0.5*x + 2` with predict, classify and
regress signatures (tests/model_server/linear_models.py), through the official stubs, a
UNIX socket and plain HTTP: typed value fields, shapes left to the graph, Classify, Regress
and MultiInference, and REST's bytes and errors as TF Serving writes them."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    inference_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from processes.servers import ModelServerProcess
from tests.fixtures.servers import running_model_server
from tests.model_server.helpers import RPC_TIMEOUT

pytestmark = pytest.mark.integration

NAME = "half"  # y = 0.5 * x + 2


def _write_model(base: Path) -> None:
    # A child process: the test process itself stays free of TensorFlow graphs.
    code = (
        "import sys; from pathlib import Path; "
        "from tests.model_server.linear_models import write_tf1_model; "
        "write_tf1_model(Path(sys.argv[1]), 0.5, 2.0)"
    )
    subprocess.run([sys.executable, "-c", code, str(base / "7")], check=True, timeout=300)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("linear") / NAME
    _write_model(path)
    return path


@pytest.fixture(scope="module")
def server(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelServerProcess]:
    socket = tmp_path_factory.mktemp("socket") / "grpc.sock"
    with running_model_server(
        base,
        f"--grpc_socket_path={socket}",
        "--rest_api_enable_cors_support",
        "--max_request_tensor_bytes=4096",
        model_name=NAME,
        wait_for_model=NAME,
        poll_seconds=0,
    ) as running:
        running.socket = socket  # type: ignore[attr-defined]
        yield running


@pytest.fixture(scope="module")
def stub(server: ModelServerProcess) -> Iterator[prediction_service_pb2_grpc.PredictionServiceStub]:
    with grpc.insecure_channel(server.grpc_target) as channel:
        yield prediction_service_pb2_grpc.PredictionServiceStub(channel)


def _predict(values: list[float], shape: list[int], **spec: str) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = NAME
    for key, value in spec.items():
        setattr(request.model_spec, key, value)
    x = request.inputs["x"]
    x.dtype = types_pb2.DT_FLOAT
    x.float_val.extend(values)
    for size in shape:
        x.tensor_shape.dim.add().size = size
    return request


def test_predict_answers_in_typed_fields_and_the_graph_judges_shapes(stub) -> None:  # type: ignore[no-untyped-def]
    # [2] for an [-1,1] input: TF Serving feeds it, and so do we.
    reply = stub.Predict(_predict([2.0, 4.0], [2]), timeout=RPC_TIMEOUT)
    y = reply.outputs["y"]
    assert y.dtype == types_pb2.DT_FLOAT and not y.tensor_content
    assert list(y.float_val) == [3.0, 4.0]
    assert (reply.model_spec.version.value, reply.model_spec.signature_name) == (
        7,
        "serving_default",
    )


def test_tensor_content_when_asked_for(base: Path) -> None:
    flag = "--enable_serialization_as_tensor_content"
    with (
        running_model_server(base, flag, model_name=NAME, wait_for_model=NAME) as server,
        grpc.insecure_channel(server.grpc_target) as channel,
    ):
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        y = stub.Predict(_predict([2.0], [1, 1]), timeout=RPC_TIMEOUT).outputs["y"]
    assert not y.float_val and y.tensor_content == np.array([3.0], np.float32).tobytes()


def test_predict_over_the_unix_socket(server: ModelServerProcess) -> None:
    with grpc.insecure_channel(f"unix:{server.socket}") as channel:  # type: ignore[attr-defined]
        reply = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
            _predict([6.0], [1, 1]), timeout=RPC_TIMEOUT
        )
    assert list(reply.outputs["y"].float_val) == [5.0]


def test_a_request_asking_for_a_huge_tensor_is_refused_before_decoding(stub) -> None:  # type: ignore[no-untyped-def]
    # 16 bytes on the wire, 150 million floats (600 MB) if decoded; the limit here is 4 KiB.
    with pytest.raises(grpc.RpcError) as caught:
        stub.Predict(_predict([1.0], [150_000_000, 1]), timeout=RPC_TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "more than the limit of 4096" in caught.value.details()


def test_output_filter_keeps_only_what_is_asked(stub) -> None:  # type: ignore[no-untyped-def]
    request = _predict([2.0], [1, 1])
    request.output_filter.append("y")
    assert set(stub.Predict(request, timeout=RPC_TIMEOUT).outputs) == {"y"}
    request.output_filter[:] = ["z"]
    with pytest.raises(grpc.RpcError) as caught:
        stub.Predict(request, timeout=RPC_TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _examples(request, *xs: float) -> None:  # type: ignore[no-untyped-def]
    for x in xs:
        request.input.example_list.examples.add().features.feature["x"].float_list.value.append(x)


def test_classify_regress_and_multi_inference_read_tf_examples(stub) -> None:  # type: ignore[no-untyped-def]
    classify = classification_pb2.ClassificationRequest()
    classify.model_spec.name, classify.model_spec.signature_name = NAME, "classify_labels"
    _examples(classify, 2.0, 4.0)
    classes = stub.Classify(classify, timeout=RPC_TIMEOUT).result.classifications
    assert [[(c.label, c.score) for c in row.classes] for row in classes] == [
        [("low", -3.0), ("high", 3.0)],
        [("low", -4.0), ("high", 4.0)],
    ]
    regress = regression_pb2.RegressionRequest()
    regress.model_spec.name, regress.model_spec.signature_name = NAME, "regress_x"
    _examples(regress, 6.0)
    reply = stub.Regress(regress, timeout=RPC_TIMEOUT)
    assert [r.value for r in reply.result.regressions] == [5.0]
    assert reply.model_spec.version.value == 7

    multi = inference_pb2.MultiInferenceRequest()
    for signature, method in [("regress_x", "regress"), ("classify_x", "classify")]:
        task = multi.tasks.add(method_name=f"tensorflow/serving/{method}")
        task.model_spec.name, task.model_spec.signature_name = NAME, signature
    _examples(multi, 2.0)
    results = stub.MultiInference(multi, timeout=RPC_TIMEOUT).results
    assert results[0].regression_result.regressions[0].value == 3.0
    assert results[1].classification_result.classifications[0].classes[0].score == 3.0


def test_classify_on_a_predict_signature_is_invalid_argument(stub) -> None:  # type: ignore[no-untyped-def]
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = NAME  # serving_default takes floats, not examples
    _examples(request, 1.0)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Classify(request, timeout=RPC_TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _post(server: ModelServerProcess, path: str, body: str) -> httpx.Response:
    return httpx.post(server.rest_url + path, content=body, timeout=RPC_TIMEOUT)


def test_rest_writes_as_tf_serving_writes(server: ModelServerProcess) -> None:
    url = f"/v1/models/{NAME}"
    row = _post(server, url + ":predict", '{"instances": [1.0, 2.0, 0.3]}')
    assert row.text == '{\n    "predictions": [2.5, 3.0, 2.15\n    ]\n}'
    column = _post(server, url + ":predict", '{"inputs": [[NaN], [Infinity]]}')
    assert column.text == '{\n    "outputs": [\n        [\n            NaN\n        ],\n' + (
        "        [\n            Infinity\n        ]\n    ]\n}"
    )
    regress = _post(
        server,
        url + ":regress",
        '{"signature_name": "regress_x", "examples": [{"x": 1.0}, {"x": 2.0}]}',
    )
    assert regress.text == '{\n    "results": [2.5, 3.0]\n}'
    classify = _post(
        server, url + ":classify", '{"signature_name": "classify_x", "examples": [{"x": 2.0}]}'
    )
    assert json.loads(classify.text) == {"results": [[["", 3.0]]]}


def test_rest_metadata_has_no_type_key(server: ModelServerProcess) -> None:
    metadata = httpx.get(f"{server.rest_url}/v1/models/{NAME}/metadata", timeout=RPC_TIMEOUT)
    body = metadata.json()
    assert "@type" not in body["metadata"]["signature_def"]
    assert set(body["metadata"]["signature_def"]["signature_def"]) >= {
        "regress_x",
        "serving_default",
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", ":predict", "", 400, "JSON Parse error: The document is empty"),
        ("POST", ":predict", "{", 400, "JSON Parse error"),
        ("POST", ":predict", "[1]", 400, "Is not object"),
        ("POST", ":predict", '{"instances": ["a"]}', 400, "is not of expected type: float"),
        ("POST", ":predict", '{"instances": [[' * 5000 + "]]" * 5000 + "}", 400, "JSON"),
        ("POST", ":predict", '{"instances": [' + "9" * 5000 + "]}", 400, "Number too big"),
        ("POST", ":explain", "{}", 400, "Malformed request: POST /v1/models/half:explain"),
        ("POST", "/versions/99999999999999999999:predict", "{}", 400, "Failed to convert version"),
        ("GET", "/versions/x", None, 400, "Malformed request: GET /v1/models/half/versions/x"),
        ("POST", ":regress", '{"examples": []}', 400, "'examples' value is an empty array"),
    ],
)
def test_rest_errors_are_tf_servings(server, method, path, body, status, message) -> None:  # type: ignore[no-untyped-def]
    reply = httpx.request(method, f"{server.rest_url}/v1/models/{NAME}{path}", content=body)
    assert reply.status_code == status
    assert reply.headers["content-type"] == "application/json"
    assert message in reply.json()["error"]


def test_rest_without_a_model_name(server: ModelServerProcess) -> None:
    reply = httpx.get(f"{server.rest_url}/v1/models", timeout=RPC_TIMEOUT)
    assert (reply.status_code, reply.json()) == (400, {"error": "Missing model name in request."})


def test_a_failed_call_is_logged_with_the_callers_request_id(stub, server) -> None:  # type: ignore[no-untyped-def]
    request = _predict([1.0], [1, 1], signature_name="no_such_signature")
    with pytest.raises(grpc.RpcError):
        stub.Predict(request, timeout=RPC_TIMEOUT, metadata=[("x-request-id", "req-4711")])
    assert "x-request-id req-4711" in server.log()


def test_cors_headers_and_preflight(server: ModelServerProcess) -> None:
    url = f"{server.rest_url}/v1/models/{NAME}:predict"
    reply = httpx.post(url, content='{"instances": [1.0]}', timeout=RPC_TIMEOUT)
    assert reply.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(url, headers={"Origin": "https://example.org"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-methods"] == "POST, GET"
    refused = httpx.options(url)
    assert refused.status_code == 400
    assert refused.json() == {"error": "Origin header is missing in CORS preflight"}
