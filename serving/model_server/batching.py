"""Server-side batching: concurrent Predicts for one model, version and signature are merged.

As TF Serving's batching session: a batch holds at most `max_batch_size` rows; it is run
when full, or `batch_timeout_micros` after its first request, once one of
`num_batch_threads` is free (so requests pile up while the model is busy, and the batch size
adapts to the load). Inputs are concatenated along axis 0 and outputs split back, pad-free.
"""

import asyncio
import itertools
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import grpc
import numpy as np

from serving.model_server.config import BatchingOptions
from serving.model_server.errors import ServingError, invalid_argument
from serving.model_server.servable import Signature

Arrays = dict[str, np.ndarray]
IDLE_QUEUE_SECONDS = 60.0  # an idle queue (e.g. of an unloaded version) is dropped


@dataclass
class _Task:
    inputs: Arrays
    rows: int
    future: asyncio.Future[Arrays]
    enqueued: float = field(default_factory=time.monotonic)


class _BatchQueue:
    def __init__(
        self,
        signature: Signature,
        options: BatchingOptions,
        executor: Executor,
        threads: asyncio.Semaphore,
        on_batch: Callable[[int, float], None],
        on_idle: Callable[[], None],
    ):
        self.signature, self._options, self._executor = signature, options, executor
        self._threads, self._on_batch, self._on_idle = threads, on_batch, on_idle
        self._tasks: list[_Task] = []
        self._rows = 0
        self._arrived = asyncio.Event()
        self._worker = asyncio.get_running_loop().create_task(self._work())

    def submit(self, inputs: Arrays, rows: int) -> asyncio.Future[Arrays]:
        limit = self._options.max_batch_size
        if rows > limit:
            raise invalid_argument(
                f"Task size {rows} is larger than maximum input batch size {limit}"
            )
        if self._rows + rows > limit * self._options.max_enqueued_batches:
            raise ServingError(
                grpc.StatusCode.UNAVAILABLE,
                "The batch scheduling queue to which this task was submitted is full "
                f"(max_enqueued_batches={self._options.max_enqueued_batches})",
            )
        future: asyncio.Future[Arrays] = asyncio.get_running_loop().create_future()
        self._tasks.append(_Task(inputs, rows, future))
        self._rows += rows
        self._arrived.set()
        return future

    async def _work(self) -> None:
        while True:
            await self._threads.acquire()
            try:
                batch = await self._next_batch()
            except TimeoutError:
                self._threads.release()
                self._on_idle()
                return
            if not batch:
                self._threads.release()
                continue
            asyncio.get_running_loop().create_task(self._execute(batch))

    async def _next_batch(self) -> list[_Task]:
        while not self._tasks:
            self._arrived.clear()
            await asyncio.wait_for(self._arrived.wait(), IDLE_QUEUE_SECONDS)
        limit = self._options.max_batch_size
        close_at = self._tasks[0].enqueued + self._options.batch_timeout_micros / 1e6
        while self._rows < limit and (wait := close_at - time.monotonic()) > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), wait)
            except TimeoutError:
                break
        batch, rows = [], 0
        while self._tasks and rows + self._tasks[0].rows <= limit:
            task = self._tasks.pop(0)
            self._rows -= task.rows
            if not task.future.done():  # skip requests cancelled while queued
                batch.append(task)
                rows += task.rows
        return batch

    async def _execute(self, batch: list[_Task]) -> None:
        try:
            started = time.perf_counter()
            loop = asyncio.get_running_loop()
            parts = await loop.run_in_executor(self._executor, self._run, batch)
            self._on_batch(sum(t.rows for t in batch), (time.perf_counter() - started) * 1e6)
            for task, part in zip(batch, parts, strict=True):
                if not task.future.done():
                    task.future.set_result(part)
        except Exception as exc:
            for task in batch:
                if not task.future.done():
                    task.future.set_exception(exc)
        finally:
            self._threads.release()

    def _run(self, batch: list[_Task]) -> list[Arrays]:
        if len(batch) == 1:
            return [self.signature.run(batch[0].inputs)]
        merged = {k: np.concatenate([t.inputs[k] for t in batch]) for k in batch[0].inputs}
        outputs = self.signature.run(merged)
        total = sum(t.rows for t in batch)
        for alias, value in outputs.items():
            if value.ndim == 0 or value.shape[0] != total:
                raise ServingError(
                    grpc.StatusCode.INTERNAL,
                    f"Batched output tensor {alias} has 0th dimension "
                    f"{value.shape[0] if value.ndim else 0}, expected {total}",
                )
        bounds = np.cumsum([0] + [t.rows for t in batch])
        return [
            {alias: value[start:stop] for alias, value in outputs.items()}
            for start, stop in itertools.pairwise(bounds)
        ]


class BatchScheduler:
    """Batch queues keyed by (model, version, signature), sharing `num_batch_threads`."""

    def __init__(
        self,
        options: BatchingOptions,
        executor: Executor,
        on_batch: Callable[[tuple[str, int, str], int, float], None],
    ):
        self.options = options
        self._executor = executor
        self._on_batch = on_batch
        self._queues: dict[tuple[str, int, str], _BatchQueue] = {}
        self._threads: asyncio.Semaphore | None = None

    def _drop(self, key: tuple[str, int, str]) -> None:
        self._queues.pop(key, None)

    async def run(
        self, key: tuple[str, int, str], signature: Signature, inputs: Arrays, rows: int
    ) -> Arrays:
        if self._threads is None:
            self._threads = asyncio.Semaphore(self.options.num_batch_threads)
        queue = self._queues.get(key)
        if queue is None or queue.signature is not signature:  # a reloaded version
            queue = self._queues[key] = _BatchQueue(
                signature,
                self.options,
                self._executor,
                self._threads,
                lambda size, micros: self._on_batch(key, size, micros),
                lambda: self._drop(key),
            )
        return await queue.submit(inputs, rows)
