"""Closed-loop and open-loop load on one asyncio event loop, with latency statistics.

A *target* is anything with `async call()` (raises on failure) and `close()`; the HTTP and
gRPC targets are in client/targets.py. Latency is measured per request with
`perf_counter`; in the open loop it is measured from the scheduled arrival time, so a
server that falls behind shows its queueing delay (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

MAX_OUTSTANDING = 2048  # open loop: arrivals beyond this are counted as dropped errors
ERROR_SAMPLES = 5


class TargetDown(Exception):
    """The target refuses connections: a run stops at once rather than count failures."""


class Target(Protocol):
    async def call(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class LevelResult:
    """One measured level: a closed loop at a concurrency or an open loop at a rate."""

    mode: str  # "closed" or "open"
    concurrency: int | None
    rate: float | None
    duration_s: float
    requests: int
    errors: int
    throughput_rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    client_cpu_percent: float  # load generator CPU, percent of one core
    error_kinds: dict[str, int] = field(default_factory=dict)
    server_cpu_percent: dict[str, float] = field(default_factory=dict)  # when observed

    @property
    def label(self) -> str:
        return f"c={self.concurrency}" if self.mode == "closed" else f"rate={self.rate:g}/s"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Recorder:
    """Latencies of successful calls, counts of failed ones, and the wall and CPU time they
    took; one recorder may add up several runs of a level (rounds)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.measuring = True
        self.wall_s = 0.0
        self.cpu_s = 0.0
        self.down: TargetDown | None = None  # set by the first call that found it down

    async def timed(self, call: Callable[[], Awaitable[None]], start: float) -> None:
        try:
            await call()
        except TargetDown as exc:
            self.down = self.down or exc
            return
        except Exception as exc:
            if self.measuring:
                self.errors[_error_kind(exc)] += 1
            return
        if self.measuring:
            self.latencies.append(time.perf_counter() - start)

    def count(self) -> int:
        return len(self.latencies) + sum(self.errors.values())


def _error_kind(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:120]


# Awaited beside a level with its recorder and start time, cancelled when the level ends.
Progress = Callable[[Recorder, float], Coroutine[Any, Any, None]]


async def closed_loop(
    target: Target, concurrency: int, duration: float, recorder: Recorder
) -> None:
    """`concurrency` workers, each sending its next request as soon as the last one answers."""
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while time.perf_counter() < deadline and not recorder.down:
            await recorder.timed(target.call, time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def open_loop(
    target: Target, rate: float, duration: float, recorder: Recorder, seed: int = 0
) -> None:
    """Poisson arrivals at `rate` per second, each request sent whatever is outstanding."""
    rng = random.Random(seed)
    start = time.perf_counter()
    arrival = start
    tasks: set[asyncio.Task[None]] = set()
    while arrival < start + duration and not recorder.down:
        arrival += rng.expovariate(rate)
        delay = arrival - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(tasks) >= MAX_OUTSTANDING:
            recorder.errors[f"dropped: more than {MAX_OUTSTANDING} outstanding"] += 1
            continue
        task = asyncio.create_task(recorder.timed(target.call, arrival))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)


def summarize(mode: str, level: float, recorder: Recorder) -> LevelResult:
    wall_s, cpu_s = recorder.wall_s, recorder.cpu_s
    latencies_ms = np.asarray(recorder.latencies) * 1000.0
    p50, p90, p99 = (
        np.percentile(latencies_ms, [50, 90, 99]) if latencies_ms.size else (math.nan,) * 3
    )
    return LevelResult(
        mode=mode,
        concurrency=int(level) if mode == "closed" else None,
        rate=level if mode == "open" else None,
        duration_s=round(wall_s, 3),
        requests=recorder.count(),
        errors=sum(recorder.errors.values()),
        throughput_rps=round(latencies_ms.size / wall_s, 1),
        p50_ms=round(float(p50), 3),
        p90_ms=round(float(p90), 3),
        p99_ms=round(float(p99), 3),
        mean_ms=round(float(latencies_ms.mean()), 3) if latencies_ms.size else math.nan,
        max_ms=round(float(latencies_ms.max()), 3) if latencies_ms.size else math.nan,
        client_cpu_percent=round(100.0 * cpu_s / wall_s, 1),
        error_kinds=dict(recorder.errors.most_common(ERROR_SAMPLES)),
    )


async def run_level(
    target: Target,
    mode: str,
    level: float,
    duration: float,
    recorder: Recorder,
    progress: Progress | None = None,
) -> None:
    """Add one run of a level to `recorder`; `progress` runs alongside, cancelled after."""
    started, cpu_started = time.perf_counter(), time.process_time()
    load = (
        closed_loop(target, int(level), duration, recorder)
        if mode == "closed"
        else open_loop(target, level, duration, recorder)
    )
    watcher = asyncio.create_task(progress(recorder, started)) if progress else None
    try:
        await load
    finally:
        if watcher:
            watcher.cancel()
    recorder.wall_s += time.perf_counter() - started
    recorder.cpu_s += time.process_time() - cpu_started
    if recorder.down:
        raise recorder.down


async def warm_up(target: Target, concurrency: int, duration: float) -> None:
    """Load that is not measured: connections opened, caches and batching threads warm."""
    recorder = Recorder()
    recorder.measuring = False
    await closed_loop(target, concurrency, duration, recorder)
    if recorder.down:
        raise recorder.down
