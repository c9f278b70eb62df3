"""The HTTP server's own limits (http_server.py) and the body's (middleware.py), on a real
gateway process over raw sockets: every refusal is the JSON error shape, never plain text,
and a client that goes away is a 499 in /metrics, not a 500."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from processes.ports import free_port
from processes.servers import GatewayProcess, running_gateway

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayProcess]:
    """A gateway with small limits; no model server is needed for these answers."""
    with running_gateway(
        f"127.0.0.1:{free_port()}",
        wait_for="/healthz",
        max_header_bytes="4096",
        max_headers="16",
        header_timeout_seconds="0.5",
        body_timeout_seconds="0.5",
    ) as process:
        yield process


def exchange(gateway: GatewayProcess, *parts: bytes, pause: float = 0.0) -> bytes:
    """Send `parts` (pausing between them), then read until the server closes."""
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        for part in parts:
            connection.sendall(part)
            time.sleep(pause)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def status_and_error(answer: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), answer
    return int(head.split()[1]), json.loads(body)["error"]


GET = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
POST = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "status", "words"),
    [
        (GET + b"X-Big: " + b"a" * 8000 + b"\r\n\r\n", 431, "4,096 bytes"),
        (GET + b"".join(b"X-%d: 1\r\n" % i for i in range(40)) + b"\r\n", 431, "16 header"),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "not valid HTTP"),
    ],
    ids=["header-bytes", "header-count", "malformed"],
)
def test_header_limits_and_malformed_requests_are_json(
    gateway: GatewayProcess, request_bytes: bytes, status: int, words: str
) -> None:
    got, error = status_and_error(exchange(gateway, request_bytes))
    assert got == status and words in error["message"]


def test_a_body_in_the_headers_chunk_is_no_header(gateway: GatewayProcess) -> None:
    body = b"\0" * 20_000  # five times the header limit, sent with the headers at once
    answer = exchange(gateway, POST + b"Content-Length: 20000\r\nConnection: close\r\n\r\n" + body)
    status, error = status_and_error(answer)
    assert (status, error["code"]) == (415, "unsupported_image")


def test_a_websocket_upgrade_is_a_plain_request(gateway: GatewayProcess) -> None:
    upgrade = b"Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n"
    key = b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    answer = exchange(gateway, b"GET /nowhere HTTP/1.1\r\nHost: x\r\n" + upgrade + key + b"\r\n")
    status, error = status_and_error(answer)  # not the WebSocket handshake's plain 403
    assert (status, error["code"]) == (404, "not_found")


def test_slow_headers_are_a_408(gateway: GatewayProcess) -> None:
    status, error = status_and_error(exchange(gateway, GET))  # never ends its headers
    assert (status, error["code"]) == (408, "header_timeout")
    assert "GATEWAY_HEADER_TIMEOUT_SECONDS" in error["message"]


def test_slow_body_is_a_408(gateway: GatewayProcess) -> None:
    head = POST + b"Content-Length: 100\r\n\r\n"
    status, error = status_and_error(exchange(gateway, head, b"x" * 10))  # 90 bytes never come
    assert (status, error["code"]) == (408, "body_timeout")


def test_keep_alive_requests_each_get_the_header_time(gateway: GatewayProcess) -> None:
    statuses = []
    with httpx.Client(base_url=gateway.url) as client:
        for _ in range(3):  # 0.9 s on one connection, each request's headers prompt
            statuses.append(client.get("/healthz").status_code)
            time.sleep(0.3)
        assert client.get("/healthz").status_code == 200
    assert statuses == [200, 200, 200]


def test_client_gone_mid_upload_is_a_499(gateway: GatewayProcess) -> None:
    head = POST + b"Content-Length: 5000\r\nX-Request-ID: gone-1\r\n\r\n"
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head + b"x" * 100)
    time.sleep(0.2)
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'route="/predict",status="499"' in metrics
    assert 'status="500"' not in metrics
    [line] = [line for line in gateway.log().splitlines() if "gone-1" in line]
    assert "status=499" in line
