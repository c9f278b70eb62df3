"""The HTTP API on a fake predictor: answers, every error status, limits, health, metrics."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from fastapi.testclient import TestClient

from serving.gateway.main import create_app
from serving.gateway.predictor import FakePredictor
from serving.gateway.settings import Settings
from tests.fixtures.images import encode, synthetic_digit


def error_of(response) -> dict[str, str]:
    return response.json()["error"]


def test_predict_multipart_answers_digit_probabilities_version_and_timings(
    client: TestClient, fake_predictor: FakePredictor, digit_png: bytes
) -> None:
    response = client.post("/predict", files={"file": ("zero.png", digit_png, "image/png")})

    assert response.status_code == 200, response.text
    body = response.json()
    [prediction] = body["predictions"]
    assert len(prediction["probabilities"]) == 10
    assert prediction["digit"] == int(np.argmax(prediction["probabilities"]))
    assert prediction["confidence"] == max(prediction["probabilities"])
    assert (body["model_name"], body["model_version"]) == ("mnist", 2)  # highest available
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["timings"]["preprocess_ms"] > 0 and body["timings"]["inference_ms"] >= 0
    assert prediction["model_input"] is None


def test_predict_raw_body_with_image_content_type(client: TestClient, digit_png: bytes) -> None:
    response = client.post(
        "/predict?include_input=true", content=digit_png, headers={"content-type": "image/png"}
    )
    assert response.status_code == 200, response.text
    model_input = np.array(response.json()["predictions"][0]["model_input"])
    assert model_input.shape == (28, 28) and model_input.max() == 1.0


def test_batch_goes_to_the_model_server_in_one_predict_call(
    client: TestClient, fake_predictor: FakePredictor, digit_png: bytes
) -> None:
    files = [("file", (f"{i}.png", digit_png, "image/png")) for i in range(3)]
    response = client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 3
    assert fake_predictor.calls == [("Predict", 3)]


@pytest.mark.parametrize(
    ("query", "version"), [("version=1", 1), ("label=stable", 1), ("version=2", 2)]
)
def test_version_or_label_pins_the_version(
    client: TestClient, digit_png: bytes, query: str, version: int
) -> None:
    response = client.post(
        f"/predict?{query}", content=digit_png, headers={"content-type": "image/png"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["model_version"] == version


def test_incoming_request_id_is_echoed(client: TestClient, digit_png: bytes) -> None:
    response = client.post(
        "/predict",
        content=digit_png,
        headers={"content-type": "image/png", "x-request-id": "abc-123"},
    )
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": {"other": "x"}, "files": {"unrelated": ("a.txt", b"x")}}, 422, "no_image"),
        ({"content": b"", "headers": {"content-type": "image/png"}}, 422, "no_image"),
        (
            {"content": b"hello", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_image",
        ),
        ({"files": {"file": ("a.txt", b"just some text", "image/png")}}, 415, "unsupported_image"),
        ({"files": {"file": ("a.png", encode(synthetic_digit())[:60])}}, 422, "corrupt_image"),
        ({"files": {"file": ("a.png", encode(np.zeros((40, 40), np.uint8)))}}, 422, "no_ink"),
        (
            {"files": {"file": ("a.png", encode(np.zeros((1100, 1000), np.uint8)))}},
            413,
            "image_too_large",
        ),
    ],
    ids=[
        "no-file-field",
        "empty-body",
        "not-image-type",
        "not-an-image",
        "truncated",
        "blank",
        "pixels",
    ],
)
def test_bad_uploads_are_refused_with_a_clear_error(
    client: TestClient, kwargs: dict, status: int, code: str
) -> None:
    response = client.post("/predict", **kwargs)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert error_of(response)["message"]


def test_pixel_limit_message_names_the_limit(client: TestClient) -> None:
    response = client.post(
        "/predict", files={"file": ("a.png", encode(np.zeros((1100, 1000), np.uint8)))}
    )
    assert "1,100,000 pixels" in error_of(response)["message"]
    assert "1,000,000" in error_of(response)["message"]


def test_upload_limit_by_content_length(client: TestClient) -> None:
    response = client.post(
        "/predict", content=b"x" * 200_001, headers={"content-type": "image/png"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "upload_too_large"
    assert "200,000 bytes" in error_of(response)["message"]


def test_upload_limit_while_streaming_without_content_length(client: TestClient) -> None:
    def chunks():
        for _ in range(100):  # 100 × 10 kB = 1 MB, five times the limit, no Content-Length
            yield b"x" * 10_000

    response = client.post("/predict", content=chunks(), headers={"content-type": "image/png"})
    assert response.status_code == 413, response.text
    assert error_of(response)["code"] == "upload_too_large"


def test_too_many_images(client: TestClient, digit_png: bytes) -> None:
    files = [("file", (f"{i}.png", digit_png, "image/png")) for i in range(5)]
    response = client.post("/predict", files=files)
    assert response.status_code == 413
    assert "4 images" in error_of(response)["message"]


def test_version_and_label_together_are_refused(client: TestClient, digit_png: bytes) -> None:
    response = client.post(
        "/predict?version=1&label=stable", content=digit_png, headers={"content-type": "image/png"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "bad_version_selector"


def test_non_integer_version_is_a_validation_error(client: TestClient, digit_png: bytes) -> None:
    response = client.post(
        "/predict?version=abc", content=digit_png, headers={"content-type": "image/png"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


@pytest.mark.parametrize(("query", "status"), [("version=7", 404), ("label=canary", 404)])
def test_unknown_version_or_label_is_404(
    client: TestClient, digit_png: bytes, query: str, status: int
) -> None:
    response = client.post(
        f"/predict?{query}", content=digit_png, headers={"content-type": "image/png"}
    )
    assert response.status_code == status
    assert error_of(response)["code"] == "model_not_found"


@pytest.mark.parametrize(
    ("grpc_code", "status", "code"),
    [
        (grpc.StatusCode.UNAVAILABLE, 503, "model_server_unavailable"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504, "model_server_timeout"),
        (grpc.StatusCode.NOT_FOUND, 404, "model_not_found"),
        (grpc.StatusCode.INVALID_ARGUMENT, 502, "model_server_rejected_request"),
        (grpc.StatusCode.INTERNAL, 502, "upstream_error"),
    ],
)
def test_grpc_errors_map_to_http(
    digit_png: bytes,
    small_limits: Settings,
    caplog: pytest.LogCaptureFixture,
    grpc_code: grpc.StatusCode,
    status: int,
    code: str,
) -> None:
    app = create_app(small_limits, FakePredictor(fail_with=grpc_code))
    with TestClient(app) as client:
        response = client.post("/predict", content=digit_png, headers={"content-type": "image/png"})
    assert response.status_code == status
    assert error_of(response)["code"] == code
    if status == 503:
        assert response.headers["retry-after"] == "1"
    if grpc_code == grpc.StatusCode.INVALID_ARGUMENT:
        assert any(r.levelname == "ERROR" and "rejected" in r.message for r in caplog.records)


def test_healthz_never_calls_upstream(small_limits: Settings) -> None:
    with TestClient(
        create_app(small_limits, FakePredictor(fail_with=grpc.StatusCode.UNAVAILABLE))
    ) as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_available_versions(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["available_versions"] == [1, 2]


@pytest.mark.parametrize(
    ("predictor", "reason"),
    [
        (FakePredictor(fail_with=grpc.StatusCode.UNAVAILABLE), "unavailable"),
        (FakePredictor(versions={1: "LOADING"}), "no AVAILABLE version (1: LOADING)"),
    ],
)
def test_readyz_is_503_with_the_reason(
    small_limits: Settings, predictor: FakePredictor, reason: str
) -> None:
    with TestClient(create_app(small_limits, predictor)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert reason in error_of(response)["message"]


def test_models_lists_versions_labels_and_signatures(client: TestClient) -> None:
    response = client.get("/v1/models")
    assert response.status_code == 200, response.text
    versions = {v["version"]: v for v in response.json()["versions"]}
    assert versions[1]["labels"] == ["stable"] and versions[2]["labels"] == []
    assert set(versions[2]["signatures"]) == {"serving_default"}  # no SavedModel internals
    images = versions[2]["signatures"]["serving_default"]["inputs"]["images"]
    assert images == {"dtype": "float", "shape": [-1, 28, 28, 1]}


def test_metrics_count_requests_stages_and_predictions(
    client: TestClient, digit_png: bytes
) -> None:
    client.post("/predict", content=digit_png, headers={"content-type": "image/png"})
    client.post("/predict", content=b"", headers={"content-type": "image/png"})
    text = client.get("/metrics").text
    assert 'gateway_requests_total{method="POST",route="/predict",status="200"}' in text
    assert 'gateway_requests_total{method="POST",route="/predict",status="422"}' in text
    for stage in ("preprocess", "predict", "postprocess"):
        assert f'gateway_stage_duration_seconds_count{{stage="{stage}"}}' in text
    assert "gateway_predictions_total{digit=" in text
    assert "gateway_prediction_confidence_bucket" in text


def test_web_page_and_openapi(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<canvas" in page.text
    assert client.get("/static/app.js").status_code == 200
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body and "image/png" in body


def test_unknown_route_answers_the_error_body(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_large_multipart_upload_stays_in_memory(
    fake_predictor: FakePredictor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def no_disk(*args: object, **kwargs: object) -> None:
        raise AssertionError("an upload was spooled to a file on disk")

    noise = np.random.default_rng(0).integers(0, 256, (1200, 1200), dtype=np.uint8)
    noise[400:800, 590:610] = 0  # a dark bar on noise: something to recognize
    large = encode(noise)
    assert len(large) > 1024 * 1024  # over Starlette's default in-memory spool size
    monkeypatch.setattr(tempfile, "TemporaryFile", no_disk)
    with TestClient(create_app(Settings(), fake_predictor)) as client:
        response = client.post("/predict", files={"file": ("../../etc/x.png", large)})
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (
            b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nnot a file\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            "not text",
        ),
        (b"--b\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b", '"name"'),
        (b"anything", "multipart/form-data", "boundary"),
        (b"garbage without the boundary", "multipart/form-data; boundary=b", "invalid"),
    ],
    ids=["file-as-text", "part-without-name", "no-boundary", "not-multipart"],
)
def test_malformed_multipart_is_a_422_naming_the_problem(
    client: TestClient, body: bytes, content_type: str, words: str
) -> None:
    response = client.post("/predict", content=body, headers={"content-type": content_type})
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "no_image"
    assert words in error_of(response)["message"]


def test_multipart_keeps_file_fields_in_order_and_ignores_other_fields(
    client: TestClient, fake_predictor: FakePredictor
) -> None:
    digits = [encode(synthetic_digit(width=w)) for w in (5, 11)]
    files = [("note", (None, "hello")), ("file", ("a.png", digits[0])), ("file", ("b", digits[1]))]
    response = client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    one_by_one = [
        client.post("/predict", content=d, headers={"content-type": "image/png"}).json()
        for d in digits
    ]
    expected = [answer["predictions"][0]["digit"] for answer in one_by_one]
    assert expected[0] != expected[1]  # else the order would go unchecked
    assert [p["digit"] for p in response.json()["predictions"]] == expected
    assert fake_predictor.calls[0] == ("Predict", 2)
