"""`python -m client bench`: load for the gateway, or with `--target grpc` the model server.

Closed loop at each `--concurrency` for `--duration` seconds, then an open loop at the
Poisson `--rate`, after a warm-up. Prints a table, writes `<out>.json` and `<out>.png`.
The load generator runs in this process, apart from the servers; its own CPU use is in the
table so that a saturated load generator is visible rather than mistaken for the server.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from client import report
from client.loadgen import Target
from client.samples import bench_samples
from client.session import System, run_systems
from client.targets import GrpcTarget, HttpTarget
from contract.model import MODEL_NAME
from contract.ports import GATEWAY_PORT, GRPC_PORT

DEFAULT_OUT = Path("benchmarks/results/bench")


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
    images = args.image or bench_samples()
    environment = report.environment()  # the load average before our own load

    def make_target() -> Target:
        if args.target == "grpc":
            return GrpcTarget(args.server, args.model_name, images)
        return HttpTarget(args.url, args.path, images)

    levels = [("closed", float(c)) for c in args.concurrency]
    if args.rate > 0:
        levels.append(("open", args.rate))
    system = System(args.target, make_target)
    results = run_systems([system], levels, args.duration, args.warmup)[args.target]
    print(report.results_table(results))
    where = args.server if args.target == "grpc" else args.url + args.path
    document = {
        "target": args.target,
        "address": where,
        "images": [image.name for image in images],
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "environment": environment,
        "levels": [r.to_json() for r in results],
    }
    report.write_json(args.out.with_suffix(".json"), document)
    print(f"wrote {args.out.with_suffix('.json')}")
    png = args.out.with_suffix(".png")
    if report.plot_latency_throughput({args.target: results}, png, f"{args.target} at {where}"):
        print(f"wrote {png}")
    else:
        print("no plot: it needs matplotlib (`pip install matplotlib`, or the `tf` extra)")
    return 1 if any(r.errors for r in results) else 0
