"""A minimal HTTP/1.1 keep-alive client on raw asyncio streams, for load generation.

httpx costs a few hundred microseconds of CPU per request; on a 2-core machine that shares
the cores with the servers under test, the load generator would then measure itself. This
client sends pre-built request bytes and reads only the status line, the headers it needs
and the body, so it costs tens of microseconds per request.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit


class HttpError(Exception):
    """A non-2xx answer or a broken connection; the message is what the bench reports."""


class ConnectFailed(HttpError):
    """No connection could be opened: nothing listens at the address, or it cannot be reached."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    path: str


def parse_url(url: str, path: str) -> Endpoint:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"expected an http://host:port URL, got {url!r}")
    return Endpoint(parts.hostname, parts.port or 80, path)


def multipart_request(endpoint: Endpoint, filename: str, content: bytes, mime: str) -> bytes:
    """The full bytes of `POST path` with one multipart field `file`, as browsers send it."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST {endpoint.path} HTTP/1.1\r\n"
        f"Host: {endpoint.host}:{endpoint.port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


class Connection:
    """One keep-alive connection; reconnects after the server closes it.

    A server closes a connection that stayed idle past its keep-alive timeout (uvicorn: 5 s).
    As browsers and httpx do, a request that got no byte of answer on a reused connection
    is sent once more on a new one; any other failure is the request's.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> bytes:
        """Send one request and return the body of a 2xx answer; raise HttpError otherwise."""
        reused = self._reader is not None and not self._reader.at_eof()
        if not reused:
            self.close()
        try:
            try:
                status, keep_alive, body = await self._exchange(request)
            except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                    raise
                self.close()
                status, keep_alive, body = await self._exchange(request)
        except ConnectFailed:
            raise
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise HttpError(f"connection error: {type(exc).__name__}") from exc
        if not keep_alive:
            self.close()
        if not 200 <= status < 300:
            raise HttpError(f"HTTP {status}")
        return body

    async def _exchange(self, request: bytes) -> tuple[int, bool, bytes]:
        if self._writer is None:
            try:
                self._reader, self._writer = await asyncio.open_connection(
                    self._endpoint.host, self._endpoint.port
                )
            except OSError as exc:
                raise ConnectFailed(f"connection error: {type(exc).__name__}") from exc
        assert self._reader is not None
        self._writer.write(request)
        return await _read_response(self._reader)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    keep_alive = headers.get("connection") != "close"
    if headers.get("transfer-encoding") == "chunked":
        return status, keep_alive, await _read_chunked(reader)
    return status, keep_alive, await reader.readexactly(int(headers.get("content-length", "0")))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunks.append(await reader.readexactly(size + 2))
        if size == 0:
            return b"".join(chunk[:-2] for chunk in chunks)
