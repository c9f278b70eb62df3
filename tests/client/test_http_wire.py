"""The raw HTTP/1.1 client of the bench (http_wire.py) on a real loopback socket: a small
asyncio server stands in for the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from client.http_wire import ConnectFailed, Connection, HttpError, multipart_request, parse_url


@asynccontextmanager
async def http_server(answers: list[bytes]) -> AsyncIterator[tuple[str, list[bytes]]]:
    """Answers each request with the next of `answers` (b"": close without answering, as a
    server whose keep-alive timeout fires does); records the requests' bodies."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while answers:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            received.append(await reader.readexactly(length))
            answer = answers.pop(0)
            if not answer:
                break
            writer.write(answer)
            await writer.drain()
            if b"connection: close" in answer.lower():
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", received


def test_http_client_keeps_alive_reads_chunked_and_reports_statuses() -> None:
    answers = [
        b'HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n{"a":1}',
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    ]

    async def scenario() -> list[bytes]:
        async with http_server(answers) as (url, received):
            endpoint = parse_url(url, "/predict")
            request = multipart_request(endpoint, "d.png", b"\x89PNG-bytes", "image/png")
            connection = Connection(endpoint)
            assert await connection.send(request) == b'{"a":1}'
            assert await connection.send(request) == b"abcde"
            with pytest.raises(HttpError, match="HTTP 503"):
                await connection.send(request)
            assert await connection.send(request) == b"ok"  # reconnected after the close
            connection.close()
            return received

    received = asyncio.run(scenario())
    assert len(received) == 4
    assert b'name="file"; filename="d.png"' in received[0]
    assert b"\x89PNG-bytes" in received[0]


def test_http_client_resends_once_when_the_server_closed_an_idle_connection() -> None:
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"

    async def scenario() -> list[bytes]:
        async with http_server([ok, b"", ok, b"", b""]) as (url, received):
            endpoint = parse_url(url, "/predict")
            request = multipart_request(endpoint, "d.png", b"png", "image/png")
            connection = Connection(endpoint)
            assert await connection.send(request) == b"ok"
            assert await connection.send(request) == b"ok"  # closed unanswered, sent again
            with pytest.raises(HttpError, match="IncompleteReadError"):
                await connection.send(request)  # sent again once, closed again: an error
            connection.close()
            return received

    assert len(asyncio.run(scenario())) == 5  # never more than one resend per request


def test_http_client_reports_a_refused_connection() -> None:
    async def scenario() -> None:
        async with http_server([]) as (url, _):
            pass  # the server is closed again: its port now refuses connections
        connection = Connection(parse_url(url, "/predict"))
        await connection.send(b"GET / HTTP/1.1\r\n\r\n")

    with pytest.raises(ConnectFailed, match="connection error: ConnectionRefusedError"):
        asyncio.run(scenario())


def test_parse_url_refuses_what_it_cannot_speak() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        parse_url("https://example.org", "/predict")
