"""Server-side batching: concurrent Predicts for one model, version and signature are merged.

As TF Serving's batching session: a batch holds at most `max_batch_size` rows; it is ready
when full, or `batch_timeout_micros` after its first request, and runs once one of
`num_batch_threads` is free (so requests pile up while the model is busy, and the batch size
adapts to the load). Inputs are concatenated along axis 0 and outputs split back, pad-free.

Cheap per request, as the event loop is the server's bottleneck: a request costs one future
and a list append; timers, executor hand-offs and wake-ups happen once per batch.
"""

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

import grpc
import numpy as np

from serving.model_server.config import BatchingOptions
from serving.model_server.errors import ServingError, invalid_argument

Arrays = dict[str, np.ndarray]
Key = tuple[str, int, str]


class Signature(Protocol):
    """What a batch runs on: a servable's signature, or a fake in the tests."""

    def run(self, inputs: Arrays) -> Arrays: ...


@dataclass
class _Task:
    inputs: Arrays
    rows: int
    future: asyncio.Future[Arrays]
    enqueued: float = field(default_factory=time.monotonic)


class _BatchQueue:
    """Requests waiting for one (model, version, signature)."""

    def __init__(self, key: Key, signature: Signature):
        self.key, self.signature = key, signature
        self.tasks: deque[_Task] = deque()
        self.rows = 0
        self.timer: asyncio.TimerHandle | None = None
        self.ready = False  # in the scheduler's ready list

    def take(self, limit: int) -> list[_Task]:
        """The oldest requests that fit in one batch, minus those cancelled while queued."""
        batch, rows = [], 0
        while self.tasks and rows + self.tasks[0].rows <= limit:
            task = self.tasks.popleft()
            self.rows -= task.rows
            if not task.future.done():
                batch.append(task)
                rows += task.rows
        return batch


class BatchScheduler:
    """Batch queues keyed by (model, version, signature), sharing `num_batch_threads`."""

    def __init__(
        self,
        options: BatchingOptions,
        executor: Executor,
        on_batch: Callable[[Key, int, float], None],
    ):
        self.options = options
        self._executor = executor
        self._on_batch = on_batch
        self._queues: dict[Key, _BatchQueue] = {}  # an emptied queue is dropped at once
        self._ready: deque[_BatchQueue] = deque()
        self._free_threads = options.num_batch_threads
        self._timeout = options.batch_timeout_micros / 1e6

    def submit(
        self, key: Key, signature: Signature, inputs: Arrays, rows: int
    ) -> asyncio.Future[Arrays]:
        """Queues one request (`rows` rows, checked); its future has the request's outputs."""
        limit = self.options.max_batch_size
        if rows > limit:
            raise invalid_argument(
                f"Task size {rows} is larger than maximum input batch size {limit}"
            )
        queue = self._queues.get(key)
        if queue is None or queue.signature is not signature:  # new, or a reloaded version
            queue = self._queues[key] = _BatchQueue(key, signature)
        if queue.rows + rows > limit * self.options.max_enqueued_batches:
            raise ServingError(
                grpc.StatusCode.UNAVAILABLE,
                "The batch scheduling queue to which this task was submitted is full "
                f"(max_enqueued_batches={self.options.max_enqueued_batches})",
            )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Arrays] = loop.create_future()
        queue.tasks.append(_Task(inputs, rows, future))
        queue.rows += rows
        if queue.rows >= limit or self._timeout <= 0:
            self._mark_ready(queue)
        elif queue.timer is None and not queue.ready:
            queue.timer = loop.call_later(self._timeout, self._mark_ready, queue)
        return future

    def _mark_ready(self, queue: _BatchQueue) -> None:
        if queue.timer is not None:
            queue.timer.cancel()
            queue.timer = None
        if not queue.ready:
            queue.ready = True
            self._ready.append(queue)
        self._dispatch()

    def _dispatch(self) -> None:
        """Starts ready batches while batch threads are free."""
        while self._free_threads and self._ready:
            queue = self._ready.popleft()
            queue.ready = False
            batch = queue.take(self.options.max_batch_size)
            self._requeue(queue)
            if batch:
                self._free_threads -= 1
                loop = asyncio.get_running_loop()
                self._executor.submit(self._execute, loop, queue, batch)

    def _requeue(self, queue: _BatchQueue) -> None:
        """After a batch is taken: what is left waits for its own window, or goes away."""
        if not queue.tasks:
            if self._queues.get(queue.key) is queue:
                del self._queues[queue.key]  # drops the signature of an unloaded version
            return
        waited = time.monotonic() - queue.tasks[0].enqueued
        if queue.rows >= self.options.max_batch_size or waited >= self._timeout:
            queue.ready = True
            self._ready.append(queue)
        elif queue.timer is None:
            loop = asyncio.get_running_loop()
            queue.timer = loop.call_later(self._timeout - waited, self._mark_ready, queue)

    def _execute(
        self, loop: asyncio.AbstractEventLoop, queue: _BatchQueue, batch: list[_Task]
    ) -> None:
        """In a model thread: one model call, then one hand-off back to the event loop."""
        started = time.perf_counter()
        try:
            result: list[Arrays] | Exception = _run(queue.signature, batch)
        except Exception as exc:
            result = exc
        micros = (time.perf_counter() - started) * 1e6
        loop.call_soon_threadsafe(self._finish, queue.key, batch, result, micros)

    def _finish(
        self, key: Key, batch: list[_Task], result: list[Arrays] | Exception, micros: float
    ) -> None:
        self._free_threads += 1
        if isinstance(result, Exception):
            for task in batch:
                if not task.future.done():
                    task.future.set_exception(result)
        else:
            self._on_batch(key, sum(t.rows for t in batch), micros)
            for task, part in zip(batch, result, strict=True):
                if not task.future.done():
                    task.future.set_result(part)
        self._dispatch()


def _run(signature: Signature, batch: list[_Task]) -> list[Arrays]:
    if len(batch) == 1:
        return [signature.run(batch[0].inputs)]
    merged = {k: np.concatenate([t.inputs[k] for t in batch]) for k in batch[0].inputs}
    outputs = signature.run(merged)
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
