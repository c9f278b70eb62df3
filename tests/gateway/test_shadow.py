"""Shadow copies to the candidate (shadow.py): never awaited by the request, bounded and
dropped when full, failures counted, disagreements kept and served for review."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import grpc
import numpy as np
from fastapi.testclient import TestClient

from contract.rollout import RolloutState
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import managed, metric, post_png

SHADOW = RolloutState(stable=1, candidate=2, mode="shadow", generation=5)
CANARY_NONE = RolloutState(stable=1, candidate=2, mode="canary", percent=0.0, generation=6)


def settle(client: TestClient) -> None:
    """Until no shadow copy is out (they run on the app's loop, in the client's thread)."""
    shadow = client.app.state.rollout.shadow  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while shadow.in_flight and time.monotonic() < deadline:
        time.sleep(0.005)
    assert shadow.in_flight == 0


def candidate_figures(client: TestClient) -> dict[str, object]:
    versions = client.get("/v1/rollout").json()["versions"]
    found: dict[str, object] = next(v for v in versions if v["version"] == 2)
    return found


def test_the_answer_does_not_wait_for_the_shadow_copy(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    release = rollout_predictor.held["canary"] = threading.Event()
    with managed(rollout_predictor, state_file, SHADOW) as client:
        response = post_png(client, digit_png)
        # The client has its answer while the candidate's call is still blocked.
        assert response.status_code == 200, response.text
        assert (response.json()["model_version"], response.json()["role"]) == (1, "stable")
        assert rollout_predictor.waiting["canary"] == 1
        assert candidate_figures(client)["shadow_compared"] == 0
        release.set()
        settle(client)
        figures = candidate_figures(client)
    assert (figures["role"], figures["shadow_compared"], figures["shadow_agreed"]) == (
        "shadow",
        1,
        1,
    )
    assert figures["requests"] == 1  # the candidate's answer counts as its traffic


def test_copies_beyond_the_limit_are_dropped_and_counted(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    release = rollout_predictor.held["canary"] = threading.Event()
    labels = {"model_version": "2", "role": "shadow", "outcome": "dropped"}
    with managed(rollout_predictor, state_file, SHADOW, shadow_max_in_flight=2) as client:
        before = metric(client, "gateway_shadow_comparisons_total", **labels)
        answers = [post_png(client, digit_png) for _ in range(5)]
        assert all(a.status_code == 200 for a in answers)
        assert rollout_predictor.waiting["canary"] == 2
        dropped = candidate_figures(client)["shadow_dropped"]
        after = metric(client, "gateway_shadow_comparisons_total", **labels)
        release.set()
        settle(client)
        compared = candidate_figures(client)["shadow_compared"]
    assert (dropped, after - before, compared) == (3, 3, 2)


def test_a_failing_candidate_is_counted_never_seen_by_the_client(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    rollout_predictor.fail_labels["canary"] = grpc.StatusCode.INTERNAL
    labels = {"model_version": "2", "role": "shadow", "outcome": "error"}
    with managed(rollout_predictor, state_file, SHADOW) as client:
        before = metric(client, "gateway_shadow_comparisons_total", **labels)
        assert post_png(client, digit_png).status_code == 200
        settle(client)
        figures = candidate_figures(client)
        after = metric(client, "gateway_shadow_comparisons_total", **labels)
    assert (figures["errors"], figures["shadow_compared"], after - before) == (1, 0, 1)


def test_disagreements_are_kept_with_the_input_and_both_answers(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    rollout_predictor.digit_offset[2] = 3  # the candidate answers another digit
    files = [("file", (f"{i}.png", digit_png, "image/png")) for i in range(2)]
    with managed(rollout_predictor, state_file, SHADOW) as client:
        answer = client.post("/predict?include_input=true", files=files).json()
        settle(client)
        body = client.get("/v1/rollout/disagreements").json()
        figures = candidate_figures(client)
    assert (figures["shadow_compared"], figures["shadow_agreed"]) == (2, 0)
    assert (body["kept"], body["seen"], body["capacity"]) == (2, 2, 200)
    assert body["state"]["generation"] == 5
    stable_digit = answer["predictions"][0]["digit"]
    for found in body["disagreements"]:
        assert found["request_id"] == answer["request_id"]
        assert (found["stable"]["version"], found["stable"]["digit"]) == (1, stable_digit)
        assert (found["candidate"]["version"], found["candidate"]["digit"]) == (
            2,
            (stable_digit + 3) % 10,
        )
        assert found["stable"]["confidence"] > 0.5
        seen = np.array(answer["predictions"][found["index"]]["model_input"])
        assert np.abs(np.array(found["pixels"]) / 255 - seen).max() < 0.01  # the same input
    assert sorted(d["index"] for d in body["disagreements"]) == [0, 1]


def test_the_store_keeps_the_newest_up_to_its_size(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    rollout_predictor.digit_offset[2] = 1
    with managed(rollout_predictor, state_file, SHADOW, disagreements_kept=3) as client:
        for i in range(5):
            post_png(client, digit_png, **{"x-request-id": f"req-{i}"})
            settle(client)
        body = client.get("/v1/rollout/disagreements").json()
        limited = client.get("/v1/rollout/disagreements?limit=1").json()
    assert (body["kept"], body["seen"]) == (3, 5)
    assert [d["request_id"] for d in body["disagreements"]] == ["req-4", "req-3", "req-2"]
    assert [d["request_id"] for d in limited["disagreements"]] == ["req-4"]


def test_in_canary_mode_only_stables_answers_are_copied(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    with managed(rollout_predictor, state_file, CANARY_NONE) as client:
        post_png(client, digit_png)
        settle(client)
        assert rollout_predictor.labels_asked == ["stable", "canary"]
        compared = candidate_figures(client)["shadow_compared"]
    everyone = CANARY_NONE.next(percent=100.0)
    rollout_predictor.labels_asked.clear()
    with managed(rollout_predictor, state_file, everyone) as client:
        post_png(client, digit_png)
        settle(client)
    assert compared == 1
    assert rollout_predictor.labels_asked == ["canary"]  # no copy of the canary's own answer


def test_no_candidate_no_copies(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    with managed(rollout_predictor, state_file, RolloutState(stable=1, generation=9)) as client:
        post_png(client, digit_png)
        settle(client)
    assert rollout_predictor.labels_asked == ["stable"]


def test_the_gallery_page_and_its_script_are_served(client: TestClient) -> None:
    page = client.get("/rollout")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/static/rollout.js" in page.text
    assert client.get("/static/rollout.js").status_code == 200
