"""The bounded pool where uploads are decoded and preprocessed, off the event loop.

Decoding is CPU work of up to a second for the largest accepted image; on the event loop it
would stall every other request, /healthz included. Pillow and numpy release the GIL in
their loops, so a few threads keep the loop free. The pool is bounded twice: `threads` run
at once, and at most `queue` more wait; beyond that a request is refused at once with 503
and Retry-After (it already holds its upload in memory, and waiting would only add more).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from serving.gateway.errors import Overloaded

T = TypeVar("T")


class PreprocessPool:
    def __init__(self, threads: int, queue: int) -> None:
        self.capacity = threads + queue
        self.admitted = 0
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="preprocess")

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self.admitted >= self.capacity:
            raise Overloaded(
                f"the gateway is busy: {self.capacity} uploads are being decoded or waiting "
                "(GATEWAY_PREPROCESS_THREADS + GATEWAY_PREPROCESS_QUEUE)"
            )
        self.admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
        finally:
            self.admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
