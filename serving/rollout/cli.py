"""Safe rollouts of model versions: `python -m serving.rollout [options] SUBCOMMAND`.

    init                      write the live model config and rollout.json where absent
    status                    versions on disk and loaded, labels, roles, split, last decision
    canary VERSION --percent P
    shadow VERSION
    promote | rollback
    watch [--steps 10,50,100] [--window 30] [--min-requests N] [thresholds]

Defaults come from ROLLOUT_MODEL_SERVER, ROLLOUT_GATEWAY (several, comma-separated, for
replicas), ROLLOUT_CONFIG and ROLLOUT_MODEL_BASE_PATH. Bad input is one line on stderr and
exit 2; `watch` exits 0 after promoting and 3 after rolling back.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from contract.ports import GATEWAY_PORT, GRPC_PORT
from contract.rollout import CONFIG_FILE, LOCAL_CONFIG_DIR, StateError
from serving.rollout import config, guard
from serving.rollout.errors import RolloutError
from serving.rollout.gateway import Gateways
from serving.rollout.model_server import ModelServer
from serving.rollout.operations import Rollout
from serving.rollout.status import report
from serving.rollout.watch import Watch

USAGE_ERROR = 2
DEFAULTS = {
    "ROLLOUT_MODEL_SERVER": f"localhost:{GRPC_PORT}",
    "ROLLOUT_GATEWAY": f"http://localhost:{GATEWAY_PORT}",
    "ROLLOUT_CONFIG": str(LOCAL_CONFIG_DIR / CONFIG_FILE),
    "ROLLOUT_MODEL_BASE_PATH": "models/mnist",
}


def env(name: str) -> str:
    return os.environ.get(name) or DEFAULTS[name]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m serving.rollout", description=__doc__.splitlines()[0]
    )
    top.add_argument("--model-server", default=env("ROLLOUT_MODEL_SERVER"), help="HOST:PORT")
    top.add_argument(
        "--gateway", default=env("ROLLOUT_GATEWAY"), help="URL (comma-separated for replicas)"
    )
    top.add_argument("--config", type=Path, default=Path(env("ROLLOUT_CONFIG")),
                     help="the live models.config (rollout.json lives beside it)")  # fmt: skip
    top.add_argument("--model-base-path", type=Path, default=Path(env("ROLLOUT_MODEL_BASE_PATH")),
                     help="where the published versions are on this machine")  # fmt: skip
    commands = top.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    commands.add_parser("init", help="write the live config and state where absent")
    commands.add_parser("status", help="versions, labels, roles, split, last decision")
    canary = commands.add_parser("canary", help="give VERSION a share of unpinned traffic")
    canary.add_argument("version", type=int, metavar="VERSION")
    canary.add_argument("--percent", type=float, required=True, help="0..100")
    shadow = commands.add_parser("shadow", help="give VERSION copies of traffic only")
    shadow.add_argument("version", type=int, metavar="VERSION")
    commands.add_parser("promote", help="the candidate becomes stable")
    commands.add_parser("rollback", help="remove the candidate; stable untouched")
    add_watch(commands.add_parser("watch", help="the guard: promote step by step or roll back"))
    return top


def add_watch(watch: argparse.ArgumentParser) -> None:
    t = guard.Thresholds()
    watch.add_argument("--steps", type=steps, default=[10.0, 50.0, 100.0],
                       help="canary percents, 100 meaning promote (default 10,50,100)")  # fmt: skip
    watch.add_argument("--window", type=float, default=30.0,
                       help="seconds each step must hold (default 30)")  # fmt: skip
    watch.add_argument("--settle", type=float, default=5.0,
                       help="seconds at the start of each step not judged (default 5)")  # fmt: skip
    watch.add_argument("--interval", type=float, default=0.0,
                       help="seconds between checks (default: window/5, 0.5..5)")  # fmt: skip
    flags = {
        "min_requests": (int, "requests per version in the window before judging"),
        "min_comparisons": (int, "shadow comparisons before judging agreement"),
        "min_latency_requests": (int, "answers per version before judging p99"),
        "max_error_rate_increase": (float, "error rate allowed above stable's (fraction)"),
        "latency_ratio": (float, "p99 allowed as a multiple of stable's"),
        "latency_slack_ms": (float, "plus this many ms"),
        "min_agreement": (float, "share of answers agreeing with stable's"),
        "max_confidence_drop": (float, "mean confidence allowed below stable's"),
        "max_feedback_accuracy_drop": (float, "feedback accuracy allowed below stable's"),
        "min_feedback": (int, "feedbacks per version before judging accuracy"),
    }
    for name, (kind, text) in flags.items():
        default = getattr(t, name)
        watch.add_argument(
            "--" + name.replace("_", "-"), type=kind, default=default, help=f"{text} ({default})"
        )


def steps(text: str) -> list[float]:
    try:
        return guard.parse_steps(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def thresholds(args: argparse.Namespace) -> guard.Thresholds:
    names = guard.Thresholds.__dataclass_fields__
    return guard.Thresholds(**{name: getattr(args, name) for name in names})


def run(args: argparse.Namespace) -> int:
    base_path = config.read_base_path(args.config)
    server = ModelServer(args.model_server, base_path=base_path)
    gateways = Gateways([url for url in args.gateway.split(",") if url])
    rollout = Rollout(args.config, args.model_base_path, server, gateways)
    try:
        return dispatch(rollout, args)
    finally:
        server.close()
        gateways.close()


def dispatch(rollout: Rollout, args: argparse.Namespace) -> int:
    match args.command:
        case "init":
            rollout.init()
        case "status":
            print("\n".join(report(rollout)))
        case "canary":
            rollout.canary(args.version, args.percent)
        case "shadow":
            rollout.shadow(args.version)
        case "promote":
            rollout.promote()
        case "rollback":
            rollout.rollback()
        case "watch":
            if args.window <= 0:
                raise RolloutError(f"--window {args.window:g} must be more than 0 seconds")
            if args.settle < 0:
                raise RolloutError(f"--settle {args.settle:g} must not be negative")
            watch = Watch(
                rollout, args.steps, args.window, thresholds(args), args.interval, args.settle
            )
            return watch.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except (RolloutError, StateError, config.ConfigFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted: the rollout state is as the last step left it", file=sys.stderr)
        return 130
