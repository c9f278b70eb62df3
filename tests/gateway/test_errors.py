"""The exception tree and its one status table (errors.py), and the handlers that answer
every error with the same body (api/handlers.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reader.preprocessing import ImageError
from serving.gateway.errors import (
    GatewayError,
    RequestError,
    UpstreamError,
    UpstreamUnavailable,
    http_status,
    retry_after,
)
from tests.gateway.helpers import error_of


def test_an_error_not_in_the_table_takes_its_nearest_base_status() -> None:
    class Unlisted(UpstreamUnavailable):
        pass

    assert http_status(Unlisted("x")) == 503
    assert retry_after(Unlisted("x")) == 1
    assert http_status(RequestError("x")) == 400
    assert http_status(GatewayError("x")) == 500
    assert http_status(ImageError("x")) == 422
    assert retry_after(UpstreamError("x")) is None


def test_unknown_route_answers_the_error_body(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
