"""Routing unpinned /predict requests by the rollout state (rollout.py, api/deps.py): the
sticky canary split by client, pinning outside it, and what happens when a label is gone."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from fastapi.testclient import TestClient

from contract.rollout import RolloutState, goes_to_canary, write_state
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, managed, post_png

CANARY_20 = RolloutState(stable=1, candidate=2, mode="canary", percent=20.0, generation=1)


def test_the_split_is_sticky_and_near_its_share(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    clients = [f"client-{i}" for i in range(1000)]
    with managed(rollout_predictor, state_file, CANARY_20) as client:
        first = {c: post_png(client, digit_png, **{"x-client-id": c}).json() for c in clients}
        again = {c: post_png(client, digit_png, **{"x-client-id": c}).json() for c in clients}
    on_canary = [c for c in clients if first[c]["model_version"] == 2]
    assert 160 <= len(on_canary) <= 240  # 20% of 1000, within the split's noise
    assert all(first[c]["model_version"] == again[c]["model_version"] for c in clients)
    assert all(first[c]["role"] == ("canary" if c in on_canary else "stable") for c in clients)
    assert set(on_canary) == {c for c in clients if goes_to_canary(c, 20.0)}  # the contract's
    assert set(rollout_predictor.labels_asked) == {"stable", "canary"}


def test_without_a_client_id_the_address_decides(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    everyone = CANARY_20.next(percent=100.0)
    with managed(rollout_predictor, state_file, everyone) as client:
        assert post_png(client, digit_png).json()["role"] == "canary"
    nobody = CANARY_20.next(percent=0.0)
    with managed(rollout_predictor, state_file, nobody) as client:
        assert post_png(client, digit_png).json()["role"] == "stable"


@pytest.mark.parametrize(("query", "version"), [("version=2", 2), ("label=stable", 1)])
def test_a_pinned_request_is_outside_the_split(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes, query: str, version: int
) -> None:
    nobody = CANARY_20.next(percent=0.0)
    with managed(rollout_predictor, state_file, nobody) as client:
        body = post_png(client, digit_png, query).json()
        figures = client.get("/v1/rollout").json()
    assert (body["model_version"], body["role"]) == (version, "pinned")
    assert all(v["requests"] == 0 for v in figures["versions"])  # not rollout traffic


def test_shadow_mode_sends_every_client_to_stable(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    shadow = RolloutState(stable=1, candidate=2, mode="shadow", generation=2)
    with managed(rollout_predictor, state_file, shadow) as client:
        answers = [post_png(client, digit_png, **{"x-client-id": f"c{i}"}) for i in range(20)]
    assert {(a.json()["model_version"], a.json()["role"]) for a in answers} == {(1, "stable")}


def test_unmanaged_answers_as_before(client: TestClient, digit_png: bytes) -> None:
    body = post_png(client, digit_png).json()
    assert (body["model_version"], body["role"]) == (2, "unmanaged")  # highest available


def test_a_client_id_over_the_limit_is_422_naming_it(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    with managed(rollout_predictor, state_file, CANARY_20, max_client_id_bytes=16) as client:
        at_limit = post_png(client, digit_png, **{"x-client-id": "k" * 16})
        over = post_png(client, digit_png, **{"x-client-id": "k" * 17})
    assert at_limit.status_code == 200
    assert over.status_code == 422
    assert error_of(over)["code"] == "client_id_too_long"
    assert "GATEWAY_MAX_CLIENT_ID_BYTES" in error_of(over)["message"]


def test_a_state_change_reroutes_the_next_request(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    with managed(rollout_predictor, state_file, CANARY_20.next(percent=0.0)) as client:
        assert post_png(client, digit_png).json()["role"] == "stable"
        write_state(state_file, CANARY_20.next(percent=100.0).next())
        client.app.state.rollout.watcher.refresh()  # type: ignore[attr-defined]  # the poller's job
        assert post_png(client, digit_png).json()["role"] == "canary"


def test_a_canary_label_gone_falls_back_to_stable_and_counts_an_error(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    del rollout_predictor.labels["canary"]  # rolled back at the model server, file not yet
    everyone = CANARY_20.next(percent=100.0)
    # No shadow copies (they would fail on the missing label too, and count).
    with managed(rollout_predictor, state_file, everyone, shadow_max_in_flight=0) as client:
        response = post_png(client, digit_png)
        figures = client.get("/v1/rollout").json()
    assert response.status_code == 200, response.text
    assert (response.json()["model_version"], response.json()["role"]) == (1, "stable")
    by_role = {v["role"]: v for v in figures["versions"]}
    assert (by_role["canary"]["errors"], by_role["stable"]["requests"]) == (1, 1)


def test_a_stable_label_gone_is_an_outage_not_the_clients_404(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    del rollout_predictor.labels["stable"]
    with managed(rollout_predictor, state_file, CANARY_20.next(percent=0.0)) as client:
        response = post_png(client, digit_png)
    assert response.status_code == 503
    assert error_of(response)["code"] == "no_servable_version"
    assert "'stable'" in error_of(response)["message"]


def test_an_upstream_failure_counts_on_the_routed_version_a_bad_upload_does_not(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    rollout_predictor.fail_labels["canary"] = grpc.StatusCode.UNAVAILABLE
    with managed(rollout_predictor, state_file, CANARY_20.next(percent=100.0)) as client:
        assert post_png(client, digit_png).status_code == 503
        assert post_png(client, digit_png[:40]).status_code == 415  # the client's
        figures = client.get("/v1/rollout").json()
    canary = next(v for v in figures["versions"] if v["role"] == "canary")
    assert (canary["version"], canary["errors"], canary["requests"]) == (2, 1, 0)
