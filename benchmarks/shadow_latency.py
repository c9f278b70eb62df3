"""Shadow latency benchmark: does copying traffic to a candidate slow the client's answer?

One local model server (batching on) serves two versions, labelled `stable` and `canary`.
Two gateways run in front of it, the same but for their rollout state: `shadow_off` applies a
state with stable only, `shadow_on` one with the candidate in shadow mode, so that each of
its answers is also sent, in the background, to the candidate. Both route every request to
`stable`. Each concurrency is measured in rounds that interleave the two gateways, and the
ratio on/off of p50 and p99 is printed: measured in the same run, on the same uploads.

With one published version it is served as both (the same SavedModel under two numbers);
with more, the two highest. Writes .run/bench/shadow_latency.json (`--output` to change).

Run: python -m benchmarks.shadow_latency [--duration 6] [--concurrency 1,8,32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from benchmarks.output import EXIT_DOWN, add_output, progress, stop, write_json
from client import report
from client.loadgen import LevelResult, TargetDown
from client.samples import write_samples
from client.session import System, run_systems
from client.targets import HttpTarget
from contract.model import MODEL_NAME
from contract.rollout import CANARY, SHADOW, STABLE, RolloutState, write_state
from processes.proc import group_cpu_seconds
from processes.servers import BATCHING_CONFIG, running_gateway, running_model_server

SYSTEMS = {
    "shadow_off": "gateway, rollout state with stable only: no copies",
    "shadow_on": "gateway, candidate in shadow mode: every answer also sent to it",
}
STABLE_VERSION, CANDIDATE_VERSION = 1, 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-base-path", type=Path, default=Path("models/mnist"))
    parser.add_argument("--uploads", type=int, default=32, help="distinct PNG digits sent")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per level")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices per level")
    add_output(parser, "shadow_latency")
    return parser.parse_args()


def published(model_base_path: Path) -> list[int]:
    versions = sorted(int(p.name) for p in model_base_path.glob("*") if p.name.isdigit())
    if not versions:
        stop(f"no published version in {model_base_path}; run `make demo` first")
    return versions


def two_versions(model_base_path: Path, work: Path) -> tuple[Path, list[int]]:
    """A base path in `work` whose versions 1 and 2 link to published ones; which ones."""
    versions = published(model_base_path)
    chosen = versions[-2:] if len(versions) > 1 else versions * 2
    base = work / MODEL_NAME
    base.mkdir(parents=True)
    for number, version in zip((STABLE_VERSION, CANDIDATE_VERSION), chosen, strict=True):
        (base / str(number)).symlink_to((model_base_path / str(version)).resolve())
    return base, chosen


def model_config(base: Path) -> str:
    """Both versions served, labelled as a rollout in shadow mode leaves them."""
    return (
        "model_config_list {\n  config {\n"
        f'    name: "{MODEL_NAME}"\n    base_path: "{base}"\n'
        '    model_platform: "tensorflow"\n'
        f"    model_version_policy {{ specific {{ versions: {STABLE_VERSION} "
        f"versions: {CANDIDATE_VERSION} }} }}\n"
        f'    version_labels {{ key: "{STABLE}" value: {STABLE_VERSION} }}\n'
        f'    version_labels {{ key: "{CANARY}" value: {CANDIDATE_VERSION} }}\n'
        "  }\n}\n"
    )


def states(work: Path) -> dict[str, Path]:
    """Each gateway's state file: the only difference between the two."""
    paths = {name: work / f"rollout-{name}.json" for name in SYSTEMS}
    write_state(paths["shadow_off"], RolloutState(stable=STABLE_VERSION, generation=1))
    shadow = RolloutState(STABLE_VERSION, CANDIDATE_VERSION, "shadow", generation=1)
    write_state(paths["shadow_on"], shadow)
    return paths


def start(
    stack: ExitStack, args: argparse.Namespace, work: Path
) -> tuple[dict[str, str], dict[str, int]]:
    """The model server and both gateways; each gateway's URL, and every server's pid."""
    base, chosen = two_versions(args.model_base_path.resolve(), work)
    progress(f"stable: published version {chosen[0]}, candidate: version {chosen[1]}")
    config = work / "models.config"
    config.write_text(model_config(base))
    model_server = stack.enter_context(
        running_model_server(
            None,
            f"--model_config_file={config}",
            *("--enable_batching", f"--batching_parameters_file={BATCHING_CONFIG}"),
            log_path=work / "model_server.log",
        )
    )
    urls, pids = {}, {"model_server": model_server.pid}
    for name, state in states(work).items():
        gateway = stack.enter_context(
            running_gateway(
                model_server.grpc_target,
                log_path=work / f"gateway-{name}.log",
                rollout_state=str(state),
                log_level="warning",
            )
        )
        urls[name], pids[name] = gateway.url, gateway.pid
    return urls, pids


def server_cpu(name: str, pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of the gateway `name` and of the model server both share."""
    return {server: group_cpu_seconds(pids[server]) for server in (name, "model_server")}


def systems(urls: dict[str, str], pids: dict[str, int], uploads: list[Path]) -> list[System]:
    return [
        System(
            name,
            partial(HttpTarget, urls[name], "/predict", uploads),
            partial(server_cpu, name, pids),
        )
        for name in SYSTEMS
    ]


def shadow_figures(url: str) -> dict[str, Any]:
    """What the shadow gateway's candidate did over the run (GET /v1/rollout)."""
    body = httpx.get(f"{url}/v1/rollout", params={"window": 600}, timeout=10).json()
    candidate: dict[str, Any] = next((v for v in body["versions"] if v["role"] == SHADOW), {})
    keys = ("requests", "errors", "shadow_compared", "shadow_agreed", "shadow_dropped")
    return {k: candidate.get(k, 0) for k in keys}


def ratios(results: dict[str, list[LevelResult]]) -> list[dict[str, Any]]:
    """p50 and p99 of shadow_on over shadow_off, and throughput, at each concurrency."""
    rows = []
    for off, on in zip(results["shadow_off"], results["shadow_on"], strict=True):
        rows.append(
            {
                "concurrency": off.concurrency,
                "p50_ms": {"off": off.p50_ms, "on": on.p50_ms},
                "p99_ms": {"off": off.p99_ms, "on": on.p99_ms},
                "p50_ratio": round(on.p50_ms / off.p50_ms, 3) if off.p50_ms else None,
                "p99_ratio": round(on.p99_ms / off.p99_ms, 3) if off.p99_ms else None,
                "throughput_ratio": round(on.throughput_rps / off.throughput_rps, 3)
                if off.throughput_rps
                else None,
                "errors": {"off": off.errors, "on": on.errors},
            }
        )
    return rows


def print_tables(results: dict[str, list[LevelResult]], rows: list[dict[str, Any]]) -> None:
    header = ["system", *report.COLUMNS]
    levels = [[name, *report.level_row(r)] for name, rs in results.items() for r in rs]
    print("\n" + report.format_table(header, levels))
    shown = [
        [
            f"c={row['concurrency']}",
            f"{row['p50_ms']['off']:.2f} → {row['p50_ms']['on']:.2f}",
            f"{row['p50_ratio']:.2f}×",
            f"{row['p99_ms']['off']:.2f} → {row['p99_ms']['on']:.2f}",
            f"{row['p99_ratio']:.2f}×",
            f"{row['throughput_ratio']:.2f}×",
        ]
        for row in rows
    ]
    columns = ["level", "p50 ms off → on", "p50 on/off", "p99 ms off → on", "p99 on/off"]
    print("\n" + report.format_table([*columns, "req/s on/off"], shown))


def main() -> int:
    args = parse_args()
    environment = report.environment()  # the load average before our own load
    levels = [("closed", float(c)) for c in args.concurrency.split(",")]
    published(args.model_base_path)  # before any work: a missing model is one line
    work = Path(tempfile.mkdtemp(prefix="mnist-shadow-bench-"))
    uploads = write_samples(work / "uploads", args.uploads, "plain", None)
    progress(f"{len(uploads)} uploads (plain 28×28 PNG digits), logs in {work}")
    with ExitStack() as stack:
        urls, pids = start(stack, args, work)
        try:
            results = run_systems(
                systems(urls, pids, uploads), levels, args.duration, args.warmup, args.rounds
            )
        except TargetDown as exc:
            stop(f"benchmark stopped: {exc} (logs in {work})", EXIT_DOWN)
        candidate = shadow_figures(urls["shadow_on"])
    rows = ratios(results)
    print_tables(results, rows)
    print(
        f"\ncandidate (shadow): {candidate['shadow_compared']} images compared, "
        f"{candidate['shadow_agreed']} agreed, {candidate['shadow_dropped']} copies dropped, "
        f"{candidate['errors']} failed"
    )
    write_json(
        args.output,
        {
            "command": "python -m benchmarks.shadow_latency " + " ".join(sys.argv[1:]),
            "note": "2-core machine whose CPU may be shared with other work: compare the ratios",
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "systems": {
                name: {"description": SYSTEMS[name], "levels": [r.to_json() for r in levels]}
                for name, levels in results.items()
            },
            "ratios": rows,
            "candidate": candidate,
            "environment": environment,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
