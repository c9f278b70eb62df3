"""Where uploads are decoded and read: bounded thread pools, off the event loop.

Each image becomes a reader.reading.Reading: the digits it shows, left to right, each an
MNIST field with its box. Their total per request is bounded by GATEWAY_MAX_DIGITS, as all
of them go to the model server in one Predict.

Decoding and reading are CPU work, up to a fraction of a second for the costliest accepted
image; on the event loop it would stall every request, /healthz included. Pillow and numpy
release the GIL in their loops, so threads keep the loop free.

Two lanes, so that a flood of costly images cannot starve ordinary uploads: a request
starts in the light lane, which reads the images' headers and, when their decode costs
at most GATEWAY_HEAVY_DECODE_BYTES, reads them there and then; otherwise the
request moves to the heavy lane, one thread of its own. Each lane runs `threads` jobs and
lets `queue` more wait; beyond that a request is refused at once with 503 and Retry-After
(it already holds its upload in memory, and waiting would only add more).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image

from reader.preprocessing import (
    ImageTooLarge,
    NoInk,
    decoded_size,
    open_checked,
    warm_up_pages,
)
from reader.reading import Reading, read, read_array, read_opened
from serving.gateway.errors import Overloaded, TooManyDigits
from serving.gateway.settings import Settings

T = TypeVar("T")


class PreprocessPool:
    """One lane: `threads` at work, at most `queue` waiting; `limits` names its settings."""

    def __init__(self, threads: int, queue: int, limits: str, name: str = "preprocess") -> None:
        self.capacity = threads + queue
        self.admitted = 0
        self.limits = limits
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=name)

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self.admitted >= self.capacity:
            raise Overloaded(
                f"the gateway is busy: {self.capacity} uploads are being decoded or waiting "
                f"({self.limits})"
            )
        self.admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
        finally:
            self.admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Preprocessing:
    """The two lanes and the limits every upload is decoded within."""

    light: PreprocessPool
    heavy: PreprocessPool
    max_pixels: int
    max_decoded_bytes: int
    max_request_decoded_bytes: int
    heavy_decode_bytes: int
    max_digits: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Preprocessing:
        light_limits = "GATEWAY_PREPROCESS_THREADS + GATEWAY_PREPROCESS_QUEUE"
        return cls(
            PreprocessPool(settings.preprocess_threads, settings.preprocess_queue, light_limits),
            PreprocessPool(1, settings.heavy_queue, "1 + GATEWAY_HEAVY_QUEUE", "heavy"),
            settings.max_pixels,
            settings.max_decoded_bytes,
            settings.max_request_decoded_bytes,
            settings.heavy_decode_bytes,
            settings.max_digits,
        )

    async def run(self, images: Sequence[bytes]) -> list[Reading]:
        """One Reading per image; ImageErrors as reader.reading.read raises them."""
        done = await self.light.run(self._if_light, images)
        if isinstance(done, Costly):
            done = await self.heavy.run(read_all, done.images)
        check_found(done)
        self.check_digits(done)
        return done

    def _if_light(self, images: Sequence[bytes]) -> list[Reading] | Costly:
        """The readings, or the opened images when their decode belongs in the heavy lane."""
        opened = [open_checked(data, self.max_pixels, self.max_decoded_bytes) for data in images]
        total = sum(decoded_size(image) for image in opened)
        if total > self.max_request_decoded_bytes:
            raise ImageTooLarge(
                f"the request's {len(images)} images are {total:,} bytes decoded, over the "
                f"limit of {self.max_request_decoded_bytes:,} per request "
                "(GATEWAY_MAX_REQUEST_DECODED_BYTES)"
            )
        if total > self.heavy_decode_bytes:
            return Costly(opened)
        return read_all(opened)

    def check_digits(self, readings: Sequence[Reading]) -> None:
        counts = [len(reading.digits) for reading in readings]
        if sum(counts) > self.max_digits:
            shown = ", ".join(map(str, counts[:8])) + (", ..." if len(counts) > 8 else "")
            raise TooManyDigits(
                f"the request's {len(counts)} image(s) show {sum(counts)} digits or marks "
                f"({shown}), over the limit of {self.max_digits} per request "
                "(GATEWAY_MAX_DIGITS); send fewer images per request"
            )

    def close(self) -> None:
        self.light.close()
        self.heavy.close()


def check_found(readings: Sequence[Reading]) -> None:
    """A reading without digits (ink, but nothing shaped or placed as one) is answered as a
    blank image is, rather than sent as zero rows."""
    for index, reading in enumerate(readings):
        if not reading.digits:
            raise NoInk(f"no digit found in image {index + 1} of the request")


@dataclass(frozen=True)
class Costly:
    """Opened images whose decode is too costly for the light lane."""

    images: list[Image.Image]


def read_all(images: Sequence[Image.Image]) -> list[Reading]:
    return [read_opened(image) for image in images]


def warm_up() -> None:
    """Decode and read once (Pillow's decoders imported, the reader's two paths run), so the
    first upload is not slow."""
    small, page = warm_up_pages()
    read(small)
    read_array(page)
