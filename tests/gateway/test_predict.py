"""POST /predict (api/routes/predict.py, inference.py) on a fake predictor: the answer and
its status (digit, uncertain, number with each digit's box, not_a_digit), one Predict per
request with every digit of every image, pinning a version or a label, the limits, and the
body described in /docs."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reader.judge import DEFAULT_CALIBRATION, Calibration
from reader.reading import Reading
from serving.gateway import pool
from serving.gateway.main import create_app
from serving.gateway.schemas import PredictionResponse
from serving.gateway.settings import Settings
from tests.fixtures.images import encode
from tests.gateway.drawings import mnist_digit, number_page, scattered_marks, scribble
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, metric, post_png


def as_files(*uploads: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Multipart `file` fields, in order."""
    return [("file", (f"{i}.png", data, "image/png")) for i, data in enumerate(uploads)]


def test_predict_multipart_answers_digit_probabilities_version_and_timings(
    client: TestClient, digit_png: bytes
) -> None:
    response = client.post("/predict", files={"file": ("zero.png", digit_png, "image/png")})

    assert response.status_code == 200, response.text
    body = response.json()
    [prediction] = body["predictions"]
    assert len(prediction["probabilities"]) == 10
    assert prediction["status"] == "digit"
    assert prediction["digit"] == int(np.argmax(prediction["probabilities"]))
    assert prediction["confidence"] == max(prediction["probabilities"])
    assert [c["digit"] for c in prediction["candidates"]] == list(
        np.argsort(prediction["probabilities"])[::-1][:2]
    )
    assert prediction["number"] is None and prediction["reasons"] == []
    [digit] = prediction["digits"]
    assert (digit["digit"], digit["status"]) == (prediction["digit"], "digit")
    left, top, right, bottom = digit["box"]
    assert 0 <= left < right <= 28 and 0 <= top < bottom <= 28  # the upload's pixels
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


def test_a_number_gives_each_digit_with_its_box_left_to_right(
    client: TestClient, fake_predictor: FakePredictor
) -> None:
    page = number_page([2, 0, 2, 6])
    response = post_png(client, page.data, "include_input=true")

    assert response.status_code == 200, response.text
    [prediction] = response.json()["predictions"]
    assert prediction["status"] == "number"
    digits = prediction["digits"]
    assert len(digits) == 4
    assert prediction["number"] == "".join(str(d["digit"]) for d in digits)
    # The number is not one digit: no single digit, confidence or probabilities for it.
    assert prediction["digit"] is None and prediction["confidence"] is None
    assert prediction["probabilities"] is None and prediction["candidates"] == []
    width, height = page.size
    for digit, (ink_left, ink_right) in zip(digits, page.columns, strict=True):
        left, top, right, bottom = digit["box"]
        assert 0 <= left < right <= width and 0 <= top < bottom <= height
        assert left < ink_right and ink_left < right  # over its own digit's ink
        assert np.array(digit["model_input"]).shape == (28, 28)
    lefts = [d["box"][0] for d in digits]
    assert lefts == sorted(lefts)
    assert fake_predictor.calls == [("Predict", 4)]  # every digit in one Predict


def test_a_mark_away_from_the_digits_is_listed_with_its_box_and_why(
    client: TestClient, fake_predictor: FakePredictor
) -> None:
    page = np.full((300, 500), 255, np.uint8)
    page[80:192, 60:172] = 255 - np.asarray(  # a digit, 112 px
        Image.fromarray(mnist_digit(2)).resize((112, 112), Image.Resampling.BILINEAR)
    )
    page[20:30, 330:400] = 0  # a bar above the row, far to the right
    response = post_png(client, encode(page))

    assert response.status_code == 200, response.text
    [prediction] = response.json()["predictions"]
    assert prediction["status"] == "digit" and len(prediction["digits"]) == 1
    [mark] = prediction["left_out"]
    assert mark["reason"] == "above or below the row of digits"
    left, top, right, bottom = mark["box"]  # the bar, in the upload's pixels
    assert abs(left - 330) <= 3 and abs(right - 400) <= 3
    assert abs(top - 20) <= 3 and abs(bottom - 30) <= 3
    assert fake_predictor.calls == [("Predict", 1)]  # not sent to the model


def test_the_digits_of_a_batch_are_split_back_per_image(
    client: TestClient, fake_predictor: FakePredictor, digit_png: bytes
) -> None:
    response = client.post(
        "/predict", files=as_files(digit_png, number_page([3, 8]).data, digit_png)
    )

    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert [a["status"] for a in answers] == ["digit", "number", "digit"]
    assert [len(a["digits"]) for a in answers] == [1, 2, 1]
    assert answers[0]["digit"] == answers[2]["digit"]  # the same image, the same answer
    assert fake_predictor.calls == [("Predict", 4)]


@pytest.mark.parametrize("upload", [scribble(), scattered_marks()], ids=["scribble", "marks"])
def test_no_digit_is_not_a_digit_with_its_reasons(client: TestClient, upload: bytes) -> None:
    response = post_png(client, upload)

    assert response.status_code == 200, response.text
    [prediction] = response.json()["predictions"]
    assert prediction["status"] == "not_a_digit"
    assert prediction["reasons"]
    assert prediction["digit"] is None and prediction["number"] is None
    assert prediction["digits"]  # the marks taken for digits, each with its box


@pytest.mark.parametrize(("digit_score", "status"), [(0.02, "not_a_digit"), (0.97, "digit")])
def test_the_models_digit_score_is_judged(
    small_limits: Settings, digit_score: float, status: str
) -> None:
    """A clear digit's shape and a sure model: the model's digit_score alone decides."""
    predictor = FakePredictor(digit_score=digit_score)
    with TestClient(create_app(small_limits, predictor)) as client:
        response = post_png(client, number_page([4]).data)

    assert response.status_code == 200, response.text
    [prediction] = response.json()["predictions"]
    assert prediction["status"] == status
    assert any("digit score" in r for r in prediction["reasons"]) == (status == "not_a_digit")


def test_each_version_is_judged_by_its_own_calibration(small_limits: Settings) -> None:
    """The same outputs from three versions: a strict calibration, a lenient one, and none
    (a version exported before it: the judge's defaults)."""
    strict, lenient = Calibration(0.5, 0.6), Calibration(0.05, 0.2)
    predictor = FakePredictor(
        versions={1: "AVAILABLE", 2: "AVAILABLE", 3: "AVAILABLE"},
        digit_score=0.3,
        top=0.62,
        runner_up=0.3,  # margin 0.32: under the defaults' 0.4
        calibrations={1: strict, 2: lenient},
    )
    statuses = {}
    with TestClient(create_app(small_limits, predictor)) as client:
        for version in (1, 2, 3):
            response = post_png(client, number_page([4]).data, f"version={version}")
            assert response.status_code == 200, response.text
            assert response.json()["model_version"] == version
            statuses[version] = response.json()["predictions"][0]["status"]
    assert DEFAULT_CALIBRATION.min_digit_score < 0.3 < DEFAULT_CALIBRATION.min_margin
    assert statuses == {1: "not_a_digit", 2: "digit", 3: "uncertain"}


def test_close_top_two_are_uncertain_with_both_candidates(
    small_limits: Settings, digit_png: bytes
) -> None:
    predictor = FakePredictor(top=0.48, runner_up=0.44)
    with TestClient(create_app(small_limits, predictor)) as client:
        response = post_png(client, number_page([4]).data)

    assert response.status_code == 200, response.text
    [prediction] = response.json()["predictions"]
    assert prediction["status"] == "uncertain"
    first, second = prediction["candidates"]
    assert first["digit"] == prediction["digit"] and second["digit"] == (first["digit"] + 1) % 10
    assert (first["probability"], second["probability"]) == pytest.approx((0.48, 0.44))
    assert prediction["reasons"] == [f"{first['digit']} or {second['digit']}"]


def test_a_blank_image_is_422(client: TestClient) -> None:
    response = post_png(client, encode(np.full((60, 80), 255, np.uint8)))
    assert response.status_code == 422
    assert error_of(response)["code"] == "no_ink"


def test_ink_without_any_digit_is_422_as_a_blank(
    client: TestClient, digit_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    nothing = Reading(digits=(), size=(28, 28), strays=3, ink_cover=0.01, noise=0.0, lines=0)
    monkeypatch.setattr(pool, "read_opened", lambda image: nothing)
    response = post_png(client, digit_png)
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "no_ink",
        "message": "no digit found in image 1 of the request",
    }


def test_digits_beyond_the_limit_are_413_naming_it(
    fake_predictor: FakePredictor, digit_png: bytes
) -> None:
    settings = Settings(max_digits=4, max_images=4)
    with TestClient(create_app(settings, fake_predictor)) as client:
        files = as_files(number_page([2, 0, 2, 6]).data, digit_png)
        response = client.post("/predict", files=files)
        alone = client.post("/predict", files=files[:1])

    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "too_many_digits"
    assert "GATEWAY_MAX_DIGITS" in error["message"] and "5 digits" in error["message"]
    assert alone.status_code == 200  # four digits: at the limit
    assert fake_predictor.calls == [("Predict", 4)]  # the refused request never reached it


def test_answers_are_counted_by_status_and_version(client: TestClient, digit_png: bytes) -> None:
    labels = {"model_version": "2"}
    before = {s: metric(client, "gateway_answers_total", status=s, **labels)
              for s in ("digit", "number", "not_a_digit")}  # fmt: skip
    files = as_files(digit_png, number_page([3, 8]).data, scribble())
    assert client.post("/predict", files=files).status_code == 200
    after = {s: metric(client, "gateway_answers_total", status=s, **labels) for s in before}
    assert {s: after[s] - before[s] for s in before} == {"digit": 1, "number": 1, "not_a_digit": 1}


def test_docs_show_a_valid_answer_of_each_status(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    answers = schema["paths"]["/predict"]["post"]["responses"]["200"]["content"]
    examples = answers["application/json"]["examples"]
    assert set(examples) == {"digit", "uncertain", "number", "not_a_digit"}
    for status, shown in examples.items():
        answer = PredictionResponse.model_validate(shown["value"])  # what a client parses
        assert answer.predictions[0].status == status
