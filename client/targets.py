"""What the bench sends load to: an HTTP endpoint taking an upload, or a gRPC model server.

Both build their requests once, one per image, and cycle through them, so that the load
generator spends its CPU on sending, not on encoding.
"""

from __future__ import annotations

import itertools
import mimetypes
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from client.errors import UserError
from client.http_wire import ConnectFailed, Connection, Endpoint, multipart_request, parse_url
from client.loadgen import TargetDown
from reader.preprocessing import ImageError, preprocess


class HttpTarget:
    """POST an image as a multipart `file` field; a pool of keep-alive connections."""

    def __init__(self, url: str, path: str, images: Sequence[Path]) -> None:
        try:
            self._endpoint: Endpoint = parse_url(url, path)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        self._url = url
        self._requests = itertools.cycle(
            [
                multipart_request(
                    self._endpoint,
                    image.name,
                    image.read_bytes(),
                    mimetypes.guess_type(image.name)[0] or "application/octet-stream",
                )
                for image in images
            ]
        )
        self._idle: list[Connection] = []

    async def call(self) -> None:
        connection = self._idle.pop() if self._idle else Connection(self._endpoint)
        try:
            await connection.send(next(self._requests))
        except ConnectFailed as exc:
            raise TargetDown(
                f"cannot reach the gateway at {self._url} ({exc}); "
                "is it running? `make demo` starts it"
            ) from exc
        self._idle.append(connection)  # a failed connection closed itself and is dropped

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


class GrpcTarget:
    """`Predict` of one preprocessed image per call, on one channel (HTTP/2 streams)."""

    def __init__(
        self, server: str, model_name: str, images: Sequence[Path], timeout: float = 10.0
    ) -> None:
        # protobuf messages only when needed
        from client.grpc_predict import ModelServerUnavailable, PredictClient

        self._unavailable = ModelServerUnavailable

        self._client = PredictClient(server, model_name, timeout)
        self._requests = itertools.cycle(
            [self._client.build_request([_pixels(image)]) for image in images]
        )

    async def call(self) -> None:
        try:
            await self._client.predict(next(self._requests))
        except self._unavailable as exc:
            raise TargetDown(str(exc)) from exc

    async def close(self) -> None:
        await self._client.close()


def _pixels(image: Path) -> np.ndarray:
    try:
        return preprocess(image.read_bytes())
    except ImageError as exc:
        raise UserError(f"{image}: {exc.message}") from exc
