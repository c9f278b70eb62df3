"""The load generator: closed and open loops, statistics, and the raw HTTP client on a real
loopback socket (a small asyncio server stands in for the gateway)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from client.http_wire import Connection, HttpError, multipart_request, parse_url
from client.loadgen import Recorder, measure, summarize
from client.report import _finite, format_table


class FakeTarget:
    """Answers after `delay` seconds; every `fail_every`-th call raises."""

    def __init__(self, delay: float, fail_every: int = 0) -> None:
        self.delay, self.fail_every = delay, fail_every
        self.calls = self.in_flight = self.peak = 0

    async def call(self) -> None:
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.fail_every and self.calls % self.fail_every == 0:
                raise RuntimeError("boom")
        finally:
            self.in_flight -= 1

    async def close(self) -> None:
        pass


def test_closed_loop_keeps_exactly_the_concurrency_in_flight() -> None:
    target = FakeTarget(delay=0.01)
    result = asyncio.run(measure(target, mode="closed", level=4, duration=0.3))
    assert target.peak == 4
    assert result.concurrency == 4 and result.errors == 0
    # 4 workers × 0.3 s / 10 ms each: at most 120 calls, plus the 4 that end past the
    # deadline; fewer when the CPU is busy with other work, but never a single round only.
    assert 8 <= result.requests <= 124
    assert result.p50_ms >= 10.0
    assert result.throughput_rps == pytest.approx(result.requests / result.duration_s, rel=0.01)


def test_errors_are_counted_by_kind_and_not_timed() -> None:
    target = FakeTarget(delay=0.001, fail_every=3)
    result = asyncio.run(measure(target, mode="closed", level=2, duration=0.2))
    assert result.errors == pytest.approx(result.requests / 3, abs=2)
    assert result.error_kinds == {"RuntimeError: boom": result.errors}
    assert result.throughput_rps < result.requests / result.duration_s


def test_open_loop_sends_at_the_rate_whatever_the_latency() -> None:
    # 50 ms per call at 200/s needs ~10 in flight: a closed loop would never do that.
    target = FakeTarget(delay=0.05)
    result = asyncio.run(measure(target, mode="open", level=200, duration=1.0))
    assert result.rate == 200 and result.concurrency is None
    assert 150 <= result.requests <= 250
    assert target.peak >= 5


def test_summary_of_a_level_without_success_has_no_latencies() -> None:
    recorder = Recorder()
    recorder.errors["HttpError: HTTP 503"] = 7
    recorder.wall_s, recorder.cpu_s = 1.0, 0.1
    result = summarize("closed", 1, recorder)
    assert result.requests == 7 and result.errors == 7 and result.throughput_rps == 0
    assert math.isnan(result.p50_ms)
    assert _finite(result.to_json())["p50_ms"] is None  # JSON has no NaN
    assert result.client_cpu_percent == 10.0


def test_format_table_aligns_columns() -> None:
    lines = format_table(["a", "bbb", ""], [["xx", "1", ""], ["y", "22", "!"]]).splitlines()
    assert lines[0] == " a | bbb"
    assert lines[2] == "xx |   1"
    assert lines[3] == " y |  22 | !"


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


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

    with pytest.raises(HttpError, match="connection error: ConnectionRefusedError"):
        asyncio.run(scenario())


def test_parse_url_refuses_what_it_cannot_speak() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        parse_url("https://example.org", "/predict")
