"""Liveness and readiness (api/routes/health.py)."""

from __future__ import annotations

import grpc
import pytest
from fastapi.testclient import TestClient

from serving.gateway.main import create_app
from serving.gateway.settings import Settings
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of


def test_healthz_never_calls_upstream(small_limits: Settings) -> None:
    unreachable = FakePredictor(fail_with=grpc.StatusCode.UNAVAILABLE)
    with TestClient(create_app(small_limits, unreachable)) as client:
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


def test_readyz_answers_within_its_own_deadline() -> None:
    hung = FakePredictor(status_delay=30.0)  # GetModelStatus would take 30 s
    settings = Settings(ready_timeout_seconds=0.05, rpc_timeout_seconds=30.0)
    with TestClient(create_app(settings, hung)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "within 0.05 s (GATEWAY_READY_TIMEOUT_SECONDS)" in error_of(response)["message"]
    assert hung.status_deadlines == [0.05]  # the readiness deadline, not the RPC one
