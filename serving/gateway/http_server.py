"""uvicorn's httptools protocol with the limits it lacks, answered in the JSON error shape.

httptools accepts headers of any size and number, and uvicorn waits for them forever; a
client could hold memory with one request and a connection with a few bytes a minute. Here:

    431  more than GATEWAY_MAX_HEADER_BYTES before the headers end, or GATEWAY_MAX_HEADERS
    408  the headers not complete GATEWAY_HEADER_TIMEOUT_SECONDS after the connection
         opened or the request's first byte arrived
    400  a request httptools cannot parse (uvicorn answers this one in plain text)

Each is answered with {"error": {"code", "message"}} and the connection closed. The body's
limits (size, time) are the app's (middleware.py), where the answer can be counted.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from serving.gateway.access_log import logger as access_logger
from serving.gateway.errors import error_body
from serving.gateway.instruments import REQUESTS, child
from serving.gateway.settings import get_settings


def error_response(status: int, code: str, message: str) -> bytes:
    payload = json.dumps(error_body(code, message)).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + payload


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_header_bytes = settings.max_header_bytes
        self.max_headers = settings.max_headers
        self.header_timeout = settings.header_timeout_seconds
        self._awaiting_headers = True
        self._header_bytes = 0
        self._header_count = 0
        self._parsed_header_bytes = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str, str] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_headers:
            self._arm_header_timer()
            self._header_bytes += len(data)
        if self._refusal is None:
            super().data_received(data)
        # Headers still incomplete: their raw bytes so far (a chunk may also carry a body,
        # so this is checked only while no request has started).
        if self._awaiting_headers and self._header_bytes > self.max_header_bytes:
            self._refuse_header_bytes()
        if self._refusal is not None:
            self._answer_refusal()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        self._parsed_header_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._count_header_bytes(len(name) + len(value) + 4)  # ": " and CRLF
        if self._header_count > self.max_headers:
            self._refuse_headers(
                f"the request has more than {self.max_headers} header lines (GATEWAY_MAX_HEADERS)"
            )
        if self._refusal is None:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._disarm_header_timer()
        if self._refusal is None:  # else no request starts: the refusal is answered
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refusal is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refusal is not None:  # refused: no request was started
            return
        super().on_message_complete()
        self._awaiting_headers = True  # the next request's timer starts with its first byte
        self._header_bytes = 0

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            self._refusal = (400, "invalid_http_request", "the request is not valid HTTP/1.1")
        self._answer_refusal()

    def _count_header_bytes(self, parsed: int) -> None:
        self._parsed_header_bytes += parsed
        if self._parsed_header_bytes > self.max_header_bytes:
            self._refuse_header_bytes()

    def _refuse_header_bytes(self) -> None:
        self._refuse_headers(
            f"the request headers are over {self.max_header_bytes:,} bytes "
            "(GATEWAY_MAX_HEADER_BYTES)"
        )

    def _refuse_headers(self, message: str) -> None:
        if self._refusal is None:
            self._refusal = (431, "headers_too_large", message)

    def _answer_refusal(self) -> None:
        assert self._refusal is not None
        if not self.transport.is_closing():
            status, code, message = self._refusal
            if status != 400:  # uvicorn has logged that one already
                record = {"route": "unparsed", "status": status, "error": code}
                access_logger.info("request", extra={"access": record})
            child(REQUESTS, "unparsed", "-", str(status)).inc()
            self.transport.write(error_response(status, code, message))
            self.transport.close()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self._awaiting_headers or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # an answer is on its way: no second one on this stream
            return
        self._refusal = (
            408,
            "header_timeout",
            f"the request headers did not arrive within {self.header_timeout:g} s "
            "(GATEWAY_HEADER_TIMEOUT_SECONDS)",
        )
        self._answer_refusal()
