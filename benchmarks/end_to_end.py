"""End-to-end benchmark (`make bench`): four systems, the same uploads, one run.

1. gateway: POST /predict with a PNG, through gRPC to the local model server (batching on);
2. grpc: the model server directly, the same images preprocessed by the gateway's module;
3. floor: the same FastAPI/uvicorn stack answering a constant JSON (no decode, no model);
4. tutorial: a FastAPI endpoint calling the Keras model's `predict` for each request.

All servers run at once (idle when not measured). Each level is measured in rounds that
interleave the systems (see client/session.py), the load generator in this process, and
the CPU used by each system's server processes is recorded. Writes
.run/bench/end_to_end.{json,png} (`--output benchmarks/results/end_to_end` updates the
published figures) and prints the goals as ratios, which are what count on a CPU shared with
other work. A server that dies stops the run at once.

Run: python -m benchmarks.end_to_end [--duration 8] [--concurrency 1,8,32,64]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.output import EXIT_DOWN, add_output, stop, write_json
from client import report
from client.loadgen import LevelResult, Target, TargetDown
from client.samples import write_samples
from client.session import System, run_systems
from client.targets import GrpcTarget, HttpTarget
from processes.ports import LOOPBACK, free_port
from processes.proc import group_cpu_seconds
from processes.servers import BATCHING_CONFIG, running_gateway, running_model_server
from processes.service import REPO_ROOT, running

GOAL_CONCURRENCY = 32
SHARED_TEST_SET = REPO_ROOT.parent / "shared" / "data" / "mnist-test"
UVICORN = ("-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning")
# The server processes behind each system: their CPU is the system's.
SERVERS = {
    "grpc": ["model_server"],
    "gateway": ["gateway", "model_server"],
    "floor": ["floor"],
    "tutorial": ["tutorial"],
}
SYSTEMS = {
    "gateway": "our gateway: upload → preprocess → gRPC → model server (batching on)",
    "grpc": "model server directly over gRPC (preprocessed tensor, no gateway)",
    "floor": "HTTP floor: FastAPI/uvicorn, same multipart upload, constant JSON",
    "tutorial": "tutorial: FastAPI calling keras model.predict in-process per request",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-base-path", type=Path, default=Path("models/mnist"))
    parser.add_argument(
        "--keras-model",
        type=Path,
        default=Path("runs/cnn/model.keras"),
        help="for the tutorial app (default: the published SavedModel)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"MNIST test IDX files (default: {SHARED_TEST_SET.name} if present)",
    )
    parser.add_argument("--uploads", type=int, default=32, help="distinct PNG digits sent")
    parser.add_argument("--concurrency", default="1,8,32,64")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per level")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved slices per level")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    add_output(parser, "end_to_end")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    environment = report.environment()  # the load average before our own load
    versions = sorted(int(p.name) for p in args.model_base_path.glob("*") if p.name.isdigit())
    if not versions:
        stop(f"no published version in {args.model_base_path}; run `make demo` first")
    levels = [("closed", float(c)) for c in args.concurrency.split(",")]
    wanted = args.systems.split(",")
    work = Path(tempfile.mkdtemp(prefix="mnist-bench-"))
    data_dir = args.data_dir or (SHARED_TEST_SET if SHARED_TEST_SET.is_dir() else None)
    uploads = write_samples(work / "uploads", args.uploads, "plain", data_dir)
    print(f"{len(uploads)} uploads (plain 28×28 PNG digits), logs in {work}", file=sys.stderr)

    with ExitStack() as stack:
        systems = start_systems(stack, args, wanted, uploads, work, versions[-1])
        try:
            results = run_systems(systems, levels, args.duration, args.warmup, args.rounds)
        except TargetDown as exc:
            stop(f"benchmark stopped: {exc} (logs in {work})", EXIT_DOWN)

    document = summarize(args, results, [p.name for p in uploads], versions[-1])
    document["environment"] = environment
    print_tables(results, document["goals"])
    write_json(args.output, document)
    png = args.output.with_suffix(".png")
    if report.plot_latency_throughput(results, png, "end to end, closed loop (same uploads)"):
        print(f"wrote {png}")
    return 0


def start_systems(
    stack: ExitStack,
    args: argparse.Namespace,
    wanted: list[str],
    uploads: list[Path],
    work: Path,
    version: int,
) -> list[System]:
    """Start the servers the wanted systems need, all at once; the systems to measure."""
    urls: dict[str, str] = {}  # each system's address
    pids: dict[str, int] = {}  # each server's process group
    if {"grpc", "gateway"} & set(wanted):
        model_server = stack.enter_context(
            running_model_server(
                args.model_base_path.resolve(),
                *("--enable_batching", f"--batching_parameters_file={BATCHING_CONFIG}"),
                log_path=work / "model_server.log",
            )
        )
        urls["grpc"], pids["model_server"] = model_server.grpc_target, model_server.pid
    if "gateway" in wanted:
        gateway = stack.enter_context(running_gateway(urls["grpc"], log_path=work / "gateway.log"))
        urls["gateway"], pids["gateway"] = gateway.url, gateway.pid
    baselines = {"floor": {}, "tutorial": {"TUTORIAL_MODEL": tutorial_model(args, version)}}
    for name, env in baselines.items():
        if name in wanted:
            urls[name], pids[name] = start_baseline(stack, name, env, work)
    return [
        System(
            name, partial(make_target, name, urls[name], uploads), partial(server_cpu, name, pids)
        )
        for name in SYSTEMS
        if name in wanted
    ]


def start_baseline(stack: ExitStack, name: str, env: dict[str, str], work: Path) -> tuple[str, int]:
    """benchmarks/baselines/<name>_app.py under uvicorn on a free port: its URL and pid."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    command = [
        *(sys.executable, *UVICORN, "--port", str(port)),
        *("--app-dir", "benchmarks/baselines", f"{name}_app:app"),
    ]
    log = work / f"{name}.log"
    service = stack.enter_context(running(name, command, log, f"{url}/openapi.json", env=env))
    return url, service.pid


def make_target(name: str, url: str, uploads: list[Path]) -> Target:
    if name == "grpc":
        return GrpcTarget(url, "mnist", uploads)
    return HttpTarget(url, "/predict", uploads)


def server_cpu(name: str, pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each server process group behind system `name`."""
    return {server: group_cpu_seconds(pids[server]) for server in SERVERS[name]}


def tutorial_model(args: argparse.Namespace, version: int) -> str:
    if args.keras_model.is_file():
        return str(args.keras_model.resolve())
    return str((args.model_base_path / str(version)).resolve())


def at(results: dict[str, list[LevelResult]], name: str, concurrency: int) -> LevelResult | None:
    return next((r for r in results.get(name, []) if r.concurrency == concurrency), None)


def cpu_ms_per_request(result: LevelResult) -> float:
    """Server CPU (all of a system's processes) per successful request: the cost that
    decides throughput once the cores are saturated, and less disturbed by other work."""
    busy_s = sum(result.server_cpu_percent.values()) / 100 * result.duration_s
    answered = result.throughput_rps * result.duration_s
    return 1000 * busy_s / answered if answered else float("nan")


def goals(results: dict[str, list[LevelResult]]) -> list[dict[str, Any]]:
    """The issue's three goals, as ratios and differences measured in this run."""
    gateway, floor, tutorial = (at(results, n, GOAL_CONCURRENCY) for n in SYSTEMS if n != "grpc")
    gateway_1, grpc_1 = at(results, "gateway", 1), at(results, "grpc", 1)
    rows: list[dict[str, Any]] = []
    if gateway and floor:
        ratio = gateway.throughput_rps / floor.throughput_rps
        rows.append(
            _goal(
                f"gateway / HTTP floor throughput, c={GOAL_CONCURRENCY}",
                ratio,
                ">=",
                0.5,
                f"{ratio:.2f}",
            )
        )
    if gateway and tutorial:
        ratio = gateway.throughput_rps / max(tutorial.throughput_rps, 1e-9)
        rows.append(
            _goal(
                f"gateway / tutorial throughput, c={GOAL_CONCURRENCY}",
                ratio,
                ">=",
                5.0,
                f"{ratio:.1f}×",
            )
        )
    if gateway_1 and grpc_1:
        added = gateway_1.p50_ms - grpc_1.p50_ms
        rows.append(
            _goal(
                "gateway p50 minus direct gRPC p50, c=1 (ms)", added, "<=", 2.0, f"{added:.2f} ms"
            )
        )
    return rows


def _goal(name: str, value: float, op: str, limit: float, shown: str) -> dict[str, Any]:
    met = value >= limit if op == ">=" else value <= limit
    return {
        "goal": name,
        "value": round(value, 3),
        "shown": shown,
        "target": f"{op} {limit:g}",
        "met": met,
    }


def summarize(
    args: argparse.Namespace,
    results: dict[str, list[LevelResult]],
    uploads: list[str],
    version: int,
) -> dict[str, Any]:
    return {
        "command": "python -m benchmarks.end_to_end " + " ".join(sys.argv[1:]),
        "note": "2-core machine whose CPU may be shared with other work: compare the ratios",
        "model_version": version,
        "uploads": uploads,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "systems": {
            name: {
                "description": SYSTEMS[name],
                "levels": [
                    {**r.to_json(), "server_cpu_ms_per_request": round(cpu_ms_per_request(r), 3)}
                    for r in levels
                ],
            }
            for name, levels in results.items()
        },
        "goals": goals(results),
    }


def print_tables(results: dict[str, list[LevelResult]], goal_rows: list[dict[str, Any]]) -> None:
    header = ["system", *report.COLUMNS, "server CPU", "CPU ms/req"]
    rows = [
        [
            name,
            *report.level_row(r),
            " ".join(f"{k} {v:.0f}%" for k, v in r.server_cpu_percent.items()),
            f"{cpu_ms_per_request(r):.2f}",
        ]
        for name, levels in results.items()
        for r in levels
    ]
    print("\n" + report.format_table(header, rows))
    print(
        "\n"
        + report.format_table(
            ["goal", "measured", "target", "met"],
            [[g["goal"], g["shown"], g["target"], "yes" if g["met"] else "NO"] for g in goal_rows],
        )
    )


if __name__ == "__main__":
    sys.exit(main())
