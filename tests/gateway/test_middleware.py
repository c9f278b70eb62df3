"""The ASGI middleware (middleware.py): the upload limit, declared or streamed, and request ids."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.gateway.helpers import PNG, error_of, post_png


def test_upload_limit_by_content_length(client: TestClient) -> None:
    response = post_png(client, b"x" * 200_001)
    assert response.status_code == 413
    assert error_of(response)["code"] == "upload_too_large"
    assert "200,000 bytes" in error_of(response)["message"]


def test_upload_limit_while_streaming_without_content_length(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):  # 100 × 10 kB = 1 MB, five times the limit, no Content-Length
            yield b"x" * 10_000

    response = client.post("/predict", content=chunks(), headers=PNG)
    assert response.status_code == 413, response.text
    assert error_of(response)["code"] == "upload_too_large"


def test_incoming_request_id_is_echoed(client: TestClient, digit_png: bytes) -> None:
    response = post_png(client, digit_png, **{"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


def test_unsafe_request_id_is_replaced(client: TestClient) -> None:
    response = client.get("/healthz", headers={"x-request-id": "../etc"})
    assert response.headers["x-request-id"] != "../etc"
    assert len(response.headers["x-request-id"]) == 32  # a fresh uuid4 hex
