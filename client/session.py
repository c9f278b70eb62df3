"""Measure one or more systems level by level, interleaved in rounds, on one event loop.

With several systems on a machine whose CPU is shared with other work, measuring one system
after the other lets a burst of background load land on one of them only. Rounds
interleave them instead: each level is split into `rounds` slices, run A, B, C, A, B, C...,
and each system's slices are added up. The targets stay open between slices, so
connections and batching threads stay warm.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from client.loadgen import LevelResult, Progress, Recorder, Target, run_level, summarize, warm_up

# Cumulative CPU seconds of each server process of a system, read around each slice.
CpuProbe = Callable[[], dict[str, float]]
Level = tuple[str, float]  # ("closed", concurrency) or ("open", rate)


@dataclass
class System:
    name: str
    make_target: Callable[[], Target]  # called inside the event loop (gRPC channels need it)
    server_cpu: CpuProbe | None = None


def run_systems(
    systems: Sequence[System],
    levels: Sequence[Level],
    duration: float,
    warmup: float,
    rounds: int = 1,
) -> dict[str, list[LevelResult]]:
    """Warm each system up, then measure every level for `duration` seconds per system."""
    return _runner()(_run_systems(systems, levels, duration, warmup, rounds))


async def _run_systems(
    systems: Sequence[System],
    levels: Sequence[Level],
    duration: float,
    warmup: float,
    rounds: int,
) -> dict[str, list[LevelResult]]:
    targets = {system.name: system.make_target() for system in systems}
    results: dict[str, list[LevelResult]] = {system.name: [] for system in systems}
    try:
        if warmup > 0:
            await _warm_up(systems, targets, levels, warmup)
        for level in levels:
            measured = await _measure_level(systems, targets, level, duration, rounds)
            for name, result in measured.items():
                results[name].append(result)
    finally:
        for target in targets.values():
            await target.close()
    return results


async def _warm_up(
    systems: Sequence[System], targets: dict[str, Target], levels: Sequence[Level], warmup: float
) -> None:
    """Unmeasured load on each system at the highest closed-loop concurrency (else 8)."""
    peak = max((int(level) for mode, level in levels if mode == "closed"), default=8)
    for system in systems:
        status(f"{system.name}: warm-up {warmup:g} s at concurrency {peak}")
        await warm_up(targets[system.name], peak, warmup)


async def _measure_level(
    systems: Sequence[System],
    targets: dict[str, Target],
    level: Level,
    duration: float,
    rounds: int,
) -> dict[str, LevelResult]:
    """One level on every system: `rounds` slices each, interleaved, added up per system."""
    recorders = {system.name: Recorder() for system in systems}
    server_cpu: dict[str, Counter[str]] = {system.name: Counter() for system in systems}
    for round_number in range(1, rounds + 1):
        for system in systems:
            label = f"{system.name} {level_label(*level)}"
            if rounds > 1:
                label += f" round {round_number}/{rounds}"
            server_cpu[system.name].update(
                await _run_slice(
                    system,
                    targets[system.name],
                    level,
                    duration / rounds,
                    recorders[system.name],
                    label,
                )
            )
    return {
        system.name: _summarize(system.name, level, recorders[system.name], server_cpu[system.name])
        for system in systems
    }


async def _run_slice(
    system: System,
    target: Target,
    level: Level,
    duration: float,
    recorder: Recorder,
    label: str,
) -> dict[str, float]:
    """One slice of a level into `recorder`; the CPU seconds the system's servers spent."""
    before = system.server_cpu() if system.server_cpu else {}
    await run_level(target, *level, duration, recorder, _progress(label, duration))
    after = system.server_cpu() if system.server_cpu else {}
    return {name: after[name] - before[name] for name in before}


def _summarize(
    name: str, level: Level, recorder: Recorder, server_cpu: Counter[str]
) -> LevelResult:
    """The level's statistics, with its servers' CPU as percent of one core; printed."""
    mode, value = level
    result = summarize(mode, value, recorder)
    result.server_cpu_percent = {
        process: round(100 * seconds / result.duration_s, 1)
        for process, seconds in server_cpu.items()
    }
    status(
        f"{name} {level_label(mode, value)}: "
        f"{result.throughput_rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"{result.errors} errors\n"
    )
    return result


def level_label(mode: str, level: float) -> str:
    return f"c={int(level)}" if mode == "closed" else f"rate={level:g}/s"


def _progress(label: str, duration: float) -> Progress:
    async def show(recorder: Recorder, started: float) -> None:
        while True:
            await asyncio.sleep(0.5)
            elapsed = time.perf_counter() - started
            status(
                f"{label}: {min(elapsed, duration):4.1f}/{duration:g} s, "
                f"{len(recorder.latencies)} ok, {sum(recorder.errors.values())} errors"
            )

    return show


def status(text: str) -> None:
    """One overwritten line on a terminal; finished lines only when stderr is a file."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()
    elif text.endswith("\n"):
        sys.stderr.write(text)


def _runner() -> Callable[[Any], Any]:
    """uvloop when installed: a cheaper event loop leaves more CPU to the servers."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run
