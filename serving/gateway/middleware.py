"""ASGI middleware: the upload limit while the body streams, request ids and HTTP metrics."""

from __future__ import annotations

import json
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.gateway.errors import UploadTooLarge, error_body
from serving.gateway.instruments import REQUEST_LATENCY, REQUESTS, child

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def upload_too_large(limit: int, size: str) -> UploadTooLarge:
    return UploadTooLarge(
        f"the request body is {size} bytes, over the upload limit of {limit:,} bytes "
        "(GATEWAY_MAX_UPLOAD_BYTES)"
    )


class BodySizeLimitMiddleware:
    """413 when Content-Length is over the limit, or as soon as the streamed body passes it.

    A streamed (chunked) body over the limit raises UploadTooLarge from `receive`, inside
    whatever is reading the body; the app's error handlers turn it into the 413 answer. So
    at most `max_bytes` (plus one chunk) are ever held in memory.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            error = upload_too_large(self.max_bytes, f"{int(declared):,}")
            await send_json(send, 413, error_body(error.code, error.message))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise upload_too_large(self.max_bytes, f"over {self.max_bytes:,}")
            return message

        await self.app(scope, limited_receive, send)


async def send_json(send: Send, status: int, body: object) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class RequestObservationMiddleware:
    """Gives every request an id (X-Request-ID, echoed) and records its status and latency."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        start = time.perf_counter()

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
            await self.app(scope, receive, observed_send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")  # the template: bounded label values
            child(REQUESTS, path, scope["method"], str(status)).inc()
            child(REQUEST_LATENCY, path).observe(time.perf_counter() - start)
