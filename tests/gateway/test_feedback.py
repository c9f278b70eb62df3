"""POST /feedback (api/routes/feedback.py, feedback.py): right, wrong, an unknown request,
bad digits and indices, counted once per image, per version and role."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contract.rollout import RolloutState
from tests.gateway.drawings import number_page, scribble
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, managed, metric, post_png

CANARY_ALL = RolloutState(stable=1, candidate=2, mode="canary", percent=100.0, generation=1)


def predicted(client: TestClient, image: bytes, **headers: str) -> tuple[str, int]:
    body = post_png(client, image, **headers).json()
    return body["request_id"], body["predictions"][0]["digit"]


def test_right_and_wrong_answers(client: TestClient, digit_png: bytes) -> None:
    request_id, digit = predicted(client, digit_png)
    right = client.post("/feedback", json={"request_id": request_id, "digit": digit})
    assert right.status_code == 200, right.text
    assert right.json() == {
        "request_id": request_id,
        "index": 0,
        "model_version": 2,
        "role": "unmanaged",
        "predicted": digit,
        "digit": digit,
        "correct": True,
        "counted": True,
    }
    other_id, other = predicted(client, digit_png)
    wrong = client.post("/feedback", json={"request_id": other_id, "digit": (other + 1) % 10})
    assert (wrong.json()["correct"], wrong.json()["predicted"]) == (False, other)


def test_the_verdict_counts_for_the_answering_version_in_its_role(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    correct = {"model_version": "2", "outcome": "correct", "role": "canary"}
    wrong = {**correct, "outcome": "wrong"}
    with managed(rollout_predictor, state_file, CANARY_ALL, shadow_max_in_flight=0) as client:
        before = metric(client, "gateway_feedback_total", **correct)
        before_wrong = metric(client, "gateway_feedback_total", **wrong)
        first, digit = predicted(client, digit_png)
        second, _ = predicted(client, digit_png)
        client.post("/feedback", json={"request_id": first, "digit": digit})
        client.post("/feedback", json={"request_id": second, "digit": (digit + 5) % 10})
        figures = client.get("/v1/rollout").json()
        counted = metric(client, "gateway_feedback_total", **correct) - before
        counted_wrong = metric(client, "gateway_feedback_total", **wrong) - before_wrong
    canary = next(v for v in figures["versions"] if v["role"] == "canary")
    assert (canary["version"], canary["feedback"], canary["feedback_correct"]) == (2, 2, 1)
    assert (counted, counted_wrong) == (1, 1)


def test_a_second_report_on_the_same_image_is_not_counted_again(
    client: TestClient, digit_png: bytes
) -> None:
    request_id, digit = predicted(client, digit_png)
    first = client.post("/feedback", json={"request_id": request_id, "digit": digit}).json()
    again = client.post("/feedback", json={"request_id": request_id, "digit": digit}).json()
    assert (first["counted"], again["counted"], again["correct"]) == (True, False, True)


def test_each_image_of_a_batch_by_its_index(client: TestClient, digit_png: bytes) -> None:
    files = [("file", (f"{i}.png", digit_png, "image/png")) for i in range(2)]
    body = client.post("/predict", files=files).json()
    digit = body["predictions"][1]["digit"]
    report = {"request_id": body["request_id"], "digit": digit, "index": 1}
    answer = client.post("/feedback", json=report)
    assert (answer.status_code, answer.json()["index"], answer.json()["correct"]) == (200, 1, True)
    out_of_range = client.post("/feedback", json={**report, "index": 2})
    assert out_of_range.status_code == 422
    assert error_of(out_of_range)["code"] == "bad_feedback"
    assert "had 2 image(s)" in error_of(out_of_range)["message"]


def test_an_unknown_request_is_404_naming_the_limit(client: TestClient) -> None:
    response = client.post("/feedback", json={"request_id": "never-seen", "digit": 3})
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_request_id"
    message = error_of(response)["message"]
    assert "10,000" in message and "GATEWAY_FEEDBACK_MEMORY" in message


def test_the_oldest_predictions_are_forgotten(
    fake_predictor: FakePredictor, tmp_path: Path, digit_png: bytes
) -> None:
    with managed(fake_predictor, tmp_path / "none.json", None, feedback_memory=2) as client:
        ids = [predicted(client, digit_png)[0] for _ in range(3)]
        answers = [client.post("/feedback", json={"request_id": i, "digit": 0}) for i in ids]
    assert [a.status_code for a in answers] == [404, 200, 200]
    assert "last 2 predictions" in error_of(answers[0])["message"]


@pytest.mark.parametrize(
    "report",
    [
        {"request_id": "x", "digit": 10},
        {"request_id": "x", "digit": -1},
        {"request_id": "x", "digit": "four"},
        {"request_id": "x", "digit": 4, "index": -1},
        {"request_id": "", "digit": 4},
        {"digit": 4},
    ],
)
def test_bad_reports_are_422(client: TestClient, report: dict[str, object]) -> None:
    response = client.post("/feedback", json=report)
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("upload", "status"), [(number_page([2, 6]).data, "number"), (scribble(), "not_a_digit")]
)
def test_only_one_digit_answers_take_feedback(
    client: TestClient, digit_png: bytes, upload: bytes, status: str
) -> None:
    files = [("file", ("a.png", upload, "image/png")), ("file", ("b.png", digit_png, "image/png"))]
    body = client.post("/predict", files=files).json()
    assert [p["status"] for p in body["predictions"]] == [status, "digit"]
    refused = client.post("/feedback", json={"request_id": body["request_id"], "digit": 2})
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "bad_feedback"
    assert repr(status) in error_of(refused)["message"]
    second = {"request_id": body["request_id"], "digit": 3, "index": 1}
    assert client.post("/feedback", json=second).status_code == 200  # its one-digit image does
