"""The batch scheduler in process: grouping, windows, limits and errors, with a fake model.

Timing is controlled without sleeps: `submit` queues (and, when a batch is ready, dispatches)
synchronously, and a batch's results come back to the event loop only once the test awaits,
so requests submitted one after the other pile up behind a running batch deterministically.
"""

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
import numpy as np
import pytest

from serving.model_server.batching import Arrays, BatchScheduler, Key
from serving.model_server.config import BatchingOptions
from serving.model_server.errors import ServingError

T = TypeVar("T")
KEY: Key = ("mnist", 1, "serving_default")
OTHER_KEY: Key = ("mnist", 2, "serving_default")
NEVER = 3_600_000_000  # a batch window of an hour: only a full batch runs


class FakeSignature:
    """Doubles its input `x`; records the rows of every call (one call per batch)."""

    def __init__(self, fail: Exception | None = None, rows_out: int | None = None):
        self.batches: list[list[float]] = []
        self._fail = fail
        self._rows_out = rows_out
        self._lock = threading.Lock()  # called from the batch threads

    def run(self, inputs: Arrays) -> Arrays:
        with self._lock:
            self.batches.append(inputs["x"].tolist())
        if self._fail is not None:
            raise self._fail
        doubled = inputs["x"] * 2
        return {"y": doubled if self._rows_out is None else doubled[: self._rows_out]}


def rows(*values: float) -> Arrays:
    return {"x": np.array(values, dtype=np.float32)}


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as pool:
        yield pool


Recorded = list[tuple[Key, int]]
Scheduler = Callable[..., tuple[BatchScheduler, Recorded]]


@pytest.fixture
def scheduler(executor: ThreadPoolExecutor) -> Scheduler:
    """A scheduler with the given options (one batch thread unless told), and its batches."""

    def make(**options: int) -> tuple[BatchScheduler, Recorded]:
        recorded: Recorded = []
        options.setdefault("num_batch_threads", 1)
        scheduler = BatchScheduler(
            BatchingOptions(**options),
            executor,
            lambda key, rows, micros: recorded.append((key, rows)),
        )
        return scheduler, recorded

    return make


def run(coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(coroutine())


def test_concurrent_requests_for_one_key_run_as_one_batch(scheduler: Scheduler) -> None:
    batcher, recorded = scheduler(max_batch_size=4, batch_timeout_micros=NEVER)
    model = FakeSignature()

    async def scenario() -> list[Arrays]:
        futures = [batcher.submit(KEY, model, rows(i), 1) for i in range(4)]  # the 4th fills it
        return await asyncio.gather(*futures)

    results = run(scenario)
    assert model.batches == [[0, 1, 2, 3]]
    assert [r["y"].tolist() for r in results] == [[0], [2], [4], [6]]  # each gets its own rows
    assert recorded == [(KEY, 4)]


def test_requests_for_different_keys_are_separate_batches(scheduler: Scheduler) -> None:
    batcher, recorded = scheduler(max_batch_size=2, batch_timeout_micros=NEVER)
    model = FakeSignature()

    async def scenario() -> list[Arrays]:
        futures = [
            batcher.submit(KEY, model, rows(1), 1),
            batcher.submit(OTHER_KEY, model, rows(10), 1),
            batcher.submit(KEY, model, rows(2), 1),
            batcher.submit(OTHER_KEY, model, rows(20), 1),
        ]
        return await asyncio.gather(*futures)

    results = run(scenario)
    assert sorted(model.batches) == [[1, 2], [10, 20]]
    assert [r["y"].tolist() for r in results] == [[2], [20], [4], [40]]
    assert sorted(recorded) == [(KEY, 2), (OTHER_KEY, 2)]


def test_batches_never_exceed_max_batch_size(scheduler: Scheduler) -> None:
    # No window: the first request runs alone; the rest pile up while it runs.
    batcher, recorded = scheduler(max_batch_size=3, batch_timeout_micros=0)
    model = FakeSignature()

    async def scenario() -> list[Arrays]:
        first = batcher.submit(KEY, model, rows(0), 1)
        rest = [batcher.submit(KEY, model, rows(i, i), 2) for i in (1, 2, 3)]
        return await asyncio.gather(first, *rest)

    results = run(scenario)
    assert model.batches == [[0], [1, 1], [2, 2], [3, 3]]  # 2 + 2 rows would exceed 3
    assert [len(r["y"]) for r in results] == [1, 2, 2, 2]
    assert [n for _, n in recorded] == [1, 2, 2, 2]


def test_requests_piled_up_behind_a_batch_run_together(scheduler: Scheduler) -> None:
    batcher, _ = scheduler(max_batch_size=8, batch_timeout_micros=0)
    model = FakeSignature()

    async def scenario() -> None:
        futures = [batcher.submit(KEY, model, rows(i), 1) for i in range(5)]
        await asyncio.gather(*futures)

    run(scenario)
    assert model.batches == [[0], [1, 2, 3, 4]]


def test_a_partial_batch_waits_for_its_window(scheduler: Scheduler) -> None:
    batcher, _ = scheduler(max_batch_size=2, batch_timeout_micros=NEVER)
    model = FakeSignature()

    async def scenario() -> Arrays:
        lone = batcher.submit(KEY, model, rows(1), 1)
        assert not lone.done() and model.batches == []  # not full, window open: waits
        filler = batcher.submit(KEY, model, rows(2), 1)
        await filler
        return await lone

    assert run(scenario)["y"].tolist() == [2]
    assert model.batches == [[1, 2]]


def test_a_partial_batch_runs_when_its_window_closes(scheduler: Scheduler) -> None:
    batcher, recorded = scheduler(max_batch_size=32, batch_timeout_micros=1000)
    model = FakeSignature()

    async def scenario() -> list[Arrays]:
        return await asyncio.gather(*(batcher.submit(KEY, model, rows(i), 1) for i in (1, 2)))

    assert [r["y"].tolist() for r in run(scenario)] == [[2], [4]]
    assert model.batches == [[1, 2]] and recorded == [(KEY, 2)]


def test_a_request_that_timed_out_is_left_out_of_its_batch(scheduler: Scheduler) -> None:
    batcher, recorded = scheduler(max_batch_size=3, batch_timeout_micros=NEVER)
    model = FakeSignature()

    async def scenario() -> list[Arrays]:
        late = batcher.submit(KEY, model, rows(1), 1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0):  # as the server's deadline does: cancels the wait
                await late
        assert late.cancelled()
        return await asyncio.gather(*(batcher.submit(KEY, model, rows(i), 1) for i in (2, 3)))

    assert [r["y"].tolist() for r in run(scenario)] == [[4], [6]]
    assert model.batches == [[2, 3]] and recorded == [(KEY, 2)]


def test_a_failing_model_fails_every_request_of_its_batch(scheduler: Scheduler) -> None:
    batcher, recorded = scheduler(max_batch_size=3, batch_timeout_micros=NEVER)
    error = ServingError(grpc.StatusCode.INTERNAL, "the model broke")
    model = FakeSignature(fail=error)

    async def scenario() -> list[BaseException | Arrays]:
        futures = [batcher.submit(KEY, model, rows(i), 1) for i in range(3)]
        return await asyncio.gather(*futures, return_exceptions=True)

    assert run(scenario) == [error, error, error]
    assert recorded == []  # no batch recorded for a failed model call


def test_the_scheduler_goes_on_after_a_failed_batch(scheduler: Scheduler) -> None:
    batcher, _ = scheduler(max_batch_size=1, batch_timeout_micros=0)
    broken, healthy = FakeSignature(fail=RuntimeError("boom")), FakeSignature()

    async def scenario() -> Arrays:
        with pytest.raises(RuntimeError, match="boom"):
            await batcher.submit(KEY, broken, rows(1), 1)
        return await batcher.submit(OTHER_KEY, healthy, rows(1), 1)  # the thread is free again

    assert run(scenario)["y"].tolist() == [2]


def test_outputs_not_split_by_rows_are_internal_errors(scheduler: Scheduler) -> None:
    batcher, _ = scheduler(max_batch_size=2, batch_timeout_micros=NEVER)
    model = FakeSignature(rows_out=1)  # one row of output for a batch of two

    async def scenario() -> list[BaseException | Arrays]:
        futures = [batcher.submit(KEY, model, rows(i), 1) for i in range(2)]
        return await asyncio.gather(*futures, return_exceptions=True)

    errors = run(scenario)
    assert all(isinstance(e, ServingError) for e in errors)
    assert {e.code for e in errors if isinstance(e, ServingError)} == {grpc.StatusCode.INTERNAL}
    assert "Batched output tensor y has 0th dimension 1, expected 2" in str(errors[0])


def test_a_request_larger_than_max_batch_size_is_refused(scheduler: Scheduler) -> None:
    batcher, _ = scheduler(max_batch_size=4, batch_timeout_micros=0)
    model = FakeSignature()

    async def scenario() -> None:
        with pytest.raises(ServingError) as caught:
            batcher.submit(KEY, model, rows(*range(5)), 5)
        assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.message == "Task size 5 is larger than maximum input batch size 4"

    run(scenario)
    assert model.batches == []


def test_a_full_queue_refuses_more_requests(scheduler: Scheduler) -> None:
    batcher, _ = scheduler(max_batch_size=2, max_enqueued_batches=1, batch_timeout_micros=0)
    model = FakeSignature()

    async def scenario() -> None:
        running = batcher.submit(KEY, model, rows(0), 1)  # runs; the next two wait
        waiting = [batcher.submit(KEY, model, rows(i), 1) for i in (1, 2)]
        with pytest.raises(ServingError) as caught:
            batcher.submit(KEY, model, rows(3), 1)
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
        assert "max_enqueued_batches=1" in caught.value.message
        await asyncio.gather(running, *waiting)

    run(scenario)
    assert model.batches == [[0], [1, 2]]


def test_a_reloaded_version_is_never_batched_with_the_old_one(scheduler: Scheduler) -> None:
    batcher, _ = scheduler(max_batch_size=8, batch_timeout_micros=0)
    old, new = FakeSignature(), FakeSignature()

    async def scenario() -> None:
        futures = [
            batcher.submit(KEY, old, rows(0), 1),  # runs; the rest pile up
            batcher.submit(KEY, old, rows(1), 1),
            batcher.submit(KEY, new, rows(2), 1),  # same key, another signature object
            batcher.submit(KEY, new, rows(3), 1),
        ]
        await asyncio.gather(*futures)

    run(scenario)
    assert old.batches == [[0], [1]]
    assert new.batches == [[2, 3]]
