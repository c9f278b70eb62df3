"""The gRPC boundary (upstream.py): each status code of the model server becomes its HTTP
answer in the gateway's words; the model server's own words go to the log line only."""

from __future__ import annotations

import grpc
import pytest
from fastapi.testclient import TestClient

from serving.gateway.main import create_app
from serving.gateway.settings import Settings
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, post_png


@pytest.mark.parametrize(
    ("grpc_code", "status", "code"),
    [
        (grpc.StatusCode.UNAVAILABLE, 503, "model_server_unavailable"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504, "model_server_timeout"),
        (grpc.StatusCode.NOT_FOUND, 503, "no_servable_version"),  # unpinned: an outage
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
        response = post_png(client, digit_png)
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert "injected failure" not in response.text  # the model server's words
    if status == 503:
        assert response.headers["retry-after"] == "1"
    [line] = [r for r in caplog.records if r.name == "serving.gateway.access"]
    assert line.levelname == "ERROR"
    detail = line.access["detail"]  # type: ignore[attr-defined]
    assert detail == f"Predict to fake: {grpc_code.name} injected failure"


def test_no_version_at_all_is_503_not_404(digit_png: bytes, small_limits: Settings) -> None:
    with TestClient(create_app(small_limits, FakePredictor(versions={}))) as client:
        unpinned = post_png(client, digit_png)
        pinned = post_png(client, digit_png, "version=1")
    assert (unpinned.status_code, error_of(unpinned)["code"]) == (503, "no_servable_version")
    assert unpinned.headers["retry-after"] == "1"
    assert (pinned.status_code, error_of(pinned)["message"]) == (
        404,
        "the model has no servable version 1",
    )
