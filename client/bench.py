"""`python -m client bench`: load for the gateway, or with `--target grpc` the model server.

Closed loop at each `--concurrency` for `--duration` seconds, then an open loop at the
Poisson `--rate`, after a warm-up. Prints a table, writes `<out>.json` and `<out>.png`.
The load generator runs in this process, apart from the servers; its own CPU use is in the
table so that a saturated load generator is visible rather than mistaken for the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from client import report
from client.loadgen import LevelResult, Recorder, Target, measure, warm_up
from client.targets import GrpcTarget, HttpTarget

DEFAULT_OUT = Path("benchmarks/results/bench")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", choices=("gateway", "grpc"), default="gateway")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="gateway base URL")
    parser.add_argument("--path", default="/predict", help="HTTP route to POST the image to")
    parser.add_argument("--server", default="127.0.0.1:8500", help="model server gRPC target")
    parser.add_argument("--model-name", default="mnist")
    parser.add_argument(
        "--image",
        type=Path,
        action="append",
        help="image to send, repeatable (default: MNIST digits drawn as PNG files)",
    )
    parser.add_argument("--concurrency", type=_int_list, default=[1, 8, 32, 64])
    parser.add_argument("--rate", type=float, default=200.0, help="open loop, requests/s; 0: off")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per level")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="writes OUT.json, OUT.png")


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like 1,8,32, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"concurrencies must be at least 1, got {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    images = args.image or default_images()
    grpc = args.target == "grpc"

    def make_target() -> Target:
        if grpc:
            return GrpcTarget(args.server, args.model_name, images)
        return HttpTarget(args.url, args.path, images)

    levels = [("closed", float(c)) for c in args.concurrency]
    if args.rate > 0:
        levels.append(("open", args.rate))
    results = run_levels(make_target, levels, args.duration, args.warmup, uvloop=not grpc)
    print(report.results_table(results))
    where = args.server if args.target == "grpc" else args.url + args.path
    document = {
        "target": args.target,
        "address": where,
        "images": [image.name for image in images],
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "environment": report.environment(),
        "levels": [r.to_json() for r in results],
    }
    report.write_json(args.out.with_suffix(".json"), document)
    report.plot_latency_throughput(
        {args.target: results}, args.out.with_suffix(".png"), f"{args.target} at {where}"
    )
    print(f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.png')}")
    return 1 if any(r.errors for r in results) else 0


# Cumulative CPU seconds of each observed server process, read before and after a level.
CpuProbe = Callable[[], dict[str, float]]


def run_levels(
    make_target: Callable[[], Target],
    levels: Sequence[tuple[str, float]],
    duration: float,
    warmup: float,
    server_cpu: CpuProbe | None = None,
    uvloop: bool = True,
) -> list[LevelResult]:
    """Warm up, then measure each (mode, level) in turn.

    The target is made inside the event loop (gRPC channels belong to one loop). uvloop
    makes the HTTP load generator cheaper; gRPC's asyncio support wants the default loop.
    """

    async def main() -> list[LevelResult]:
        return await _run_levels(make_target(), levels, duration, warmup, server_cpu)

    return (_uvloop_runner() if uvloop else asyncio.run)(main())


async def _run_levels(
    target: Target,
    levels: Sequence[tuple[str, float]],
    duration: float,
    warmup: float,
    server_cpu: CpuProbe | None,
) -> list[LevelResult]:
    results = []
    try:
        if warmup > 0:
            peak = max((int(level) for mode, level in levels if mode == "closed"), default=8)
            _status(f"warm-up: {warmup:g} s at concurrency {peak}")
            await warm_up(target, peak, warmup)
        for mode, level in levels:
            label = f"c={int(level)}" if mode == "closed" else f"rate={level:g}/s"
            cpu_before = server_cpu() if server_cpu else {}
            result = await measure(
                target,
                mode=mode,
                level=level,
                duration=duration,
                progress=_progress(label, duration),
            )
            if server_cpu:
                cpu_after = server_cpu()
                result.server_cpu_percent = {
                    name: round(100 * (cpu_after[name] - cpu_before[name]) / result.duration_s, 1)
                    for name in cpu_before
                }
            _status(
                f"{label}: {result.throughput_rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"{result.errors} errors\n"
            )
            results.append(result)
    finally:
        await target.close()
    return results


def _progress(
    label: str, duration: float
) -> Callable[[Recorder, float], Coroutine[Any, Any, None]]:
    async def show(recorder: Recorder, started: float) -> None:
        while True:
            await asyncio.sleep(0.5)
            elapsed = time.perf_counter() - started
            _status(
                f"{label}: {min(elapsed, duration):4.1f}/{duration:g} s, "
                f"{len(recorder.latencies)} ok, {sum(recorder.errors.values())} errors, "
                f"{len(recorder.latencies) / elapsed:.0f} req/s"
            )

    return show


def _status(text: str) -> None:
    """One overwritten line on a terminal; finished lines only when stderr is a file."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()
    elif text.endswith("\n"):
        sys.stderr.write(text)


def _uvloop_runner() -> Callable[[Any], Any]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def default_images() -> list[Path]:
    """Real MNIST digits as plain PNG files, written once into the system temp dir."""
    from client.samples import bench_samples

    return bench_samples()
