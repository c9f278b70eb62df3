"""ASGI middleware: the body's size and time limits while it streams in, and the observation
of every request (its id, its metrics, its access-log line, an unexpected error's 500)."""

from __future__ import annotations

import asyncio
import json
import time
import traceback
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.gateway.access_log import log_request, note_error, safe_id
from serving.gateway.errors import (
    CLIENT_CLOSED_REQUEST,
    BodyTimeout,
    UploadTooLarge,
    error_body,
)
from serving.gateway.instruments import REQUEST_LATENCY, REQUESTS, child

REQUEST_ID_HEADER = "x-request-id"
CLIENT_ID_HEADER = b"x-client-id"


def upload_too_large(limit: int, size: str) -> UploadTooLarge:
    return UploadTooLarge(
        f"the request body is {size} bytes, over the upload limit of {limit:,} bytes "
        "(GATEWAY_MAX_UPLOAD_BYTES)"
    )


class BodyLimitsMiddleware:
    """413 when Content-Length is over the limit, or as soon as the streamed body passes it;
    408 when the whole body has not arrived within `timeout` seconds of the headers.

    Both are raised from `receive`, inside whatever is reading the body; the app's error
    handlers turn them into answers. So at most `max_bytes` (plus one chunk) are ever held
    in memory, and a client trickling its body holds a connection for `timeout` at most.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            error = upload_too_large(self.max_bytes, f"{int(declared):,}")
            note_error(scope, error.code)
            await send_json(send, 413, error_body(error.code, error.message), close=True)
            return
        received = 0
        complete = False
        deadline = asyncio.get_running_loop().time() + self.timeout

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:  # only a disconnect can come now: no deadline for it
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(
                    f"the request body did not arrive within {self.timeout:g} s "
                    "(GATEWAY_BODY_TIMEOUT_SECONDS)"
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise upload_too_large(self.max_bytes, f"over {self.max_bytes:,}")
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)


async def send_json(send: Send, status: int, body: object, close: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def where(exc: BaseException) -> str:
    """ "ValueError: message (at module.py:123)": an unexpected error in one line."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {str(exc)[:200]}{place}"


class RequestObservationMiddleware:
    """Gives every request an id (X-Request-ID, echoed), records its status and latency
    in the metrics and the access log, and answers an unexpected exception with a JSON 500
    logged in one line. A client gone before its answer is a 499, not an error of ours."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = safe_id(headers.get(REQUEST_ID_HEADER.encode())) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_id"] = safe_id(headers.get(CLIENT_ID_HEADER))
        status = 0  # no answer started yet
        start = time.perf_counter()

        async def observed_receive() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect" and not status:
                state["client_gone"] = True
            return message

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, observed_receive, observed_send)
        except Exception as exc:
            if not state.get("client_gone"):
                note_error(scope, "internal", where(exc))
                if not status:
                    body = error_body("internal", "internal error; see the gateway's log")
                    await send_json(observed_send, 500, body)
        finally:
            if state.get("client_gone"):
                status = CLIENT_CLOSED_REQUEST
            route = getattr(scope.get("route"), "path", "unmatched")  # bounded label values
            elapsed = time.perf_counter() - start
            child(REQUESTS, route, scope["method"], str(status or 500)).inc()
            child(REQUEST_LATENCY, route).observe(elapsed)
            log_request(scope, route, status or 500, elapsed)
