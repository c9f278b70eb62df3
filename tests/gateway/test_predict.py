"""POST /predict (api/routes/predict.py, inference.py) on a fake predictor: the answer, one
Predict per request, pinning a version or a label, and the body described in /docs."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, post_png


def test_predict_multipart_answers_digit_probabilities_version_and_timings(
    client: TestClient, digit_png: bytes
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
    response = post_png(client, digit_png, "include_input=true")
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
    response = post_png(client, digit_png, query)
    assert response.status_code == 200, response.text
    assert response.json()["model_version"] == version


def test_version_and_label_together_are_refused(client: TestClient, digit_png: bytes) -> None:
    response = post_png(client, digit_png, "version=1&label=stable")
    assert response.status_code == 422
    assert error_of(response)["code"] == "bad_version_selector"


def test_non_integer_version_is_a_validation_error(client: TestClient, digit_png: bytes) -> None:
    response = post_png(client, digit_png, "version=abc")
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


@pytest.mark.parametrize("query", ["version=7", "label=canary"])
def test_unknown_version_or_label_is_404(client: TestClient, digit_png: bytes, query: str) -> None:
    response = post_png(client, digit_png, query)
    assert response.status_code == 404
    assert error_of(response)["code"] == "model_not_found"


def test_openapi_describes_the_hand_read_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body and "image/png" in body


@pytest.mark.parametrize("version", ["9223372036854775808", "99999999999999999999999", "0", "-1"])
def test_out_of_range_version_is_422(client: TestClient, digit_png: bytes, version: str) -> None:
    response = post_png(client, digit_png, f"version={version}")
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "invalid_request"


def test_request_id_goes_to_the_model_server(
    client: TestClient, digit_png: bytes, fake_predictor: FakePredictor
) -> None:
    post_png(client, digit_png, **{"x-request-id": "req-42"})
    assert fake_predictor.request_ids == ["req-42"]
