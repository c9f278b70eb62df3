"""The gRPC boundary (upstream.py): each status code of the model server becomes its HTTP
answer; a request the model server refuses is logged as the gateway's bug."""

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
        response = post_png(client, digit_png)
    assert response.status_code == status
    assert error_of(response)["code"] == code
    if status == 503:
        assert response.headers["retry-after"] == "1"
    if grpc_code == grpc.StatusCode.INVALID_ARGUMENT:
        assert any(r.levelname == "ERROR" and "rejected" in r.message for r in caplog.records)
