"""`python -m client bench`: load for the gateway, or with `--target grpc` the model server.

A first request checks that the target answers (else one line, exit 2, nothing measured);
then a warm-up, closed loops at each `--concurrency` for `--duration` seconds, and an open
loop at the Poisson `--rate`. Progress on stderr; a table; `<output>.json` and `<output>.png`
(default under .run/bench/, ignored by git). The load generator runs in this process, apart
from the servers; its own CPU use is in the table so that a saturated load generator is
visible rather than mistaken for the server. A target that goes down stops the run at once.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from client import report
from client.errors import Unreachable, UserError, read_files
from client.loadgen import Target, TargetDown
from client.samples import bench_samples
from client.session import System, run_systems
from client.targets import GrpcTarget, HttpTarget
from contract.model import MODEL_NAME
from contract.ports import GATEWAY_PORT, GRPC_PORT

DEFAULT_OUTPUT = report.RESULTS_DIR / "bench"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", choices=("gateway", "grpc"), default="gateway")
    parser.add_argument(
        "--url", default=f"http://127.0.0.1:{GATEWAY_PORT}", help="gateway base URL"
    )
    parser.add_argument("--path", default="/predict", help="HTTP route to POST the image to")
    parser.add_argument(
        "--server", default=f"127.0.0.1:{GRPC_PORT}", help="model server gRPC target"
    )
    parser.add_argument("--model-name", default=MODEL_NAME)
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
    parser.add_argument(
        "--output",
        "--out",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"writes OUTPUT.json and OUTPUT.png (default: {DEFAULT_OUTPUT})",
    )


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like 1,8,32, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"concurrencies must be at least 1, got {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    images = [path for path, _ in read_files(args.image)] if args.image else bench_samples()
    where = args.server if args.target == "grpc" else args.url + args.path
    environment = report.environment()  # the load average before our own load

    def make_target() -> Target:
        if args.target == "grpc":
            return GrpcTarget(args.server, args.model_name, images)
        return HttpTarget(args.url, args.path, images)

    asyncio.run(first_request(make_target, f"the {args.target} at {where}"))
    levels = [("closed", float(c)) for c in args.concurrency]
    if args.rate > 0:
        levels.append(("open", args.rate))
    system = System(args.target, make_target)
    try:
        results = run_systems([system], levels, args.duration, args.warmup)[args.target]
    except TargetDown as exc:
        raise Unreachable(f"benchmark stopped: {exc}") from exc
    print(report.results_table(results))
    document = {
        "target": args.target,
        "address": where,
        "images": [image.name for image in images],
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "environment": environment,
        "levels": [r.to_json() for r in results],
    }
    write_results(args.output, document, {args.target: results}, f"{args.target} at {where}")
    return 1 if any(r.errors for r in results) else 0


async def first_request(make_target: Callable[[], Target], name: str) -> None:
    """One request before any load: a target that is down or refusing is said in one line."""
    target = make_target()
    try:
        await target.call()
    except TargetDown as exc:
        raise Unreachable(str(exc)) from exc
    except Exception as exc:
        raise UserError(f"{name} refused a first request ({exc}); nothing measured") from exc
    finally:
        await target.close()


def write_results(output: Path, document: dict[str, Any], series: Any, title: str) -> None:
    report.write_json(output.with_suffix(".json"), document)
    print(f"wrote {output.with_suffix('.json')}")
    png = output.with_suffix(".png")
    if report.plot_latency_throughput(series, png, title):
        print(f"wrote {png}")
    else:
        print("no plot: it needs matplotlib (`pip install matplotlib`, or the `tf` extra)")
