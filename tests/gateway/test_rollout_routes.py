"""GET /v1/rollout (api/routes/rollout.py): the generation applied and the figures per version
over a window, in the shape the guard parses (contract.rollout.RolloutFigures)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from contract.rollout import RolloutFigures, RolloutState, write_state
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, managed, post_png

CANARY_ALL = RolloutState(stable=1, candidate=2, mode="canary", percent=100.0, generation=3)


def test_unmanaged_has_no_generation_and_no_rollout_figures(
    client: TestClient, digit_png: bytes
) -> None:
    post_png(client, digit_png)
    body = client.get("/v1/rollout").json()
    assert (body["generation"], body["window_seconds"], body["state"]) == (None, 60.0, None)
    assert body["versions"] == []  # unmanaged traffic is Prometheus-only


def test_figures_per_version_and_role_parse_as_the_contract_says(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    with managed(rollout_predictor, state_file, CANARY_ALL, shadow_max_in_flight=0) as client:
        for _ in range(3):
            post_png(client, digit_png)
        body = client.get("/v1/rollout?window=30").json()
    figures = RolloutFigures.from_dict(body)
    assert (figures.generation, figures.window_seconds) == (3, 30.0)
    canary, stable = figures.of("canary"), figures.of("stable")
    assert canary is not None and stable is not None
    assert (canary.version, canary.requests, canary.errors) == (2, 3, 0)
    assert canary.p50_ms is not None and canary.p99_ms is not None
    assert canary.mean_confidence == 0.97  # the fake's probability of its digit
    assert (stable.version, stable.requests) == (1, 0)  # named by the state, idle
    assert body["state"]["percent"] == 100.0


def test_the_window_forgets_older_traffic(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    with managed(rollout_predictor, state_file, CANARY_ALL, shadow_max_in_flight=0) as client:
        figures = client.app.state.rollout.figures  # type: ignore[attr-defined]
        now = figures.clock()
        figures.clock = lambda: now
        post_png(client, digit_png)
        figures.clock = lambda: now + 45
        post_png(client, digit_png)
        short = client.get("/v1/rollout?window=30").json()
        long = client.get("/v1/rollout?window=60").json()
    requests = [{v["role"]: v["requests"] for v in b["versions"]}["canary"] for b in (short, long)]
    assert requests == [1, 2]


def test_the_generation_follows_the_file(
    rollout_predictor: FakePredictor, state_file: Path
) -> None:
    with managed(rollout_predictor, state_file, CANARY_ALL) as client:
        assert client.get("/v1/rollout").json()["generation"] == 3
        write_state(state_file, CANARY_ALL.next(mode=None, candidate=None, percent=0.0))
        assert client.get("/v1/rollout").json()["generation"] == 4  # re-read when asked
        state_file.write_text("garbage")
        assert client.get("/v1/rollout").json()["generation"] == 4  # the last good one


def test_a_window_beyond_what_is_kept_is_422_naming_the_limit(client: TestClient) -> None:
    response = client.get("/v1/rollout?window=601")
    assert response.status_code == 422
    assert error_of(response)["code"] == "bad_window"
    assert "GATEWAY_FIGURES_MAX_WINDOW_SECONDS" in error_of(response)["message"]
    assert client.get("/v1/rollout?window=0").status_code == 422
