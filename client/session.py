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
        peak = max((int(level) for mode, level in levels if mode == "closed"), default=8)
        for system in systems if warmup > 0 else []:
            status(f"{system.name}: warm-up {warmup:g} s at concurrency {peak}")
            await warm_up(targets[system.name], peak, warmup)
        for mode, level in levels:
            recorders = {system.name: Recorder() for system in systems}
            server_cpu: dict[str, Counter[str]] = {system.name: Counter() for system in systems}
            for round_number in range(1, rounds + 1):
                for system in systems:
                    label = f"{system.name} {level_label(mode, level)}"
                    if rounds > 1:
                        label += f" round {round_number}/{rounds}"
                    before = system.server_cpu() if system.server_cpu else {}
                    await run_level(
                        targets[system.name],
                        mode,
                        level,
                        duration / rounds,
                        recorders[system.name],
                        _progress(label, duration / rounds),
                    )
                    after = system.server_cpu() if system.server_cpu else {}
                    server_cpu[system.name].update({k: after[k] - before[k] for k in before})
            for system in systems:
                result = summarize(mode, level, recorders[system.name])
                result.server_cpu_percent = {
                    name: round(100 * seconds / result.duration_s, 1)
                    for name, seconds in server_cpu[system.name].items()
                }
                status(
                    f"{system.name} {level_label(mode, level)}: "
                    f"{result.throughput_rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                    f"{result.errors} errors\n"
                )
                results[system.name].append(result)
    finally:
        for target in targets.values():
            await target.close()
    return results


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
