"""Command line of `python -m serving.model_server`, with tensorflow_model_server's flag names.

TF Serving spells booleans `--enable_batching`, `--enable_batching=true` or `=false`; both
work here. Flags that TF Serving lacks are marked "local".
"""

import argparse
import os
from dataclasses import dataclass

from serving.model_server.config import (
    BatchingOptions,
    ModelServerConfig,
    Mount,
    load_batching_options,
    load_model_config,
    load_prometheus_path,
    parse_mount,
    resolve_model_config,
    single_model_config,
)
from serving.model_server.errors import ConfigError


@dataclass(frozen=True)
class Options:
    host: str
    port: int
    rest_api_port: int
    rest_api_timeout_seconds: float
    model_config: ModelServerConfig
    model_config_file: str | None
    mount: Mount | None
    model_config_file_poll_wait_seconds: float
    file_system_poll_wait_seconds: float
    batching: BatchingOptions | None
    prometheus_path: str | None
    enable_model_warmup: bool
    num_request_iterations_for_warmup: int
    shutdown_grace_seconds: float
    intra_op_threads: int = 1
    inter_op_threads: int = 1


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 0..65535, got {port}")
    return port


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _threads(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0: TensorFlow's choice), got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m serving.model_server",
        description="Local model server speaking TF Serving's gRPC and REST APIs.",
    )
    flag = parser.add_argument
    flag("--port", type=_port, default=8500, help="gRPC port (0: pick a free one)")
    flag("--rest_api_port", type=_port, default=8501, help="REST port; 0 turns REST off")
    flag("--rest_api_timeout_in_ms", type=int, default=30000, help="REST request timeout")
    flag("--host", default="127.0.0.1", help="local: interface to bind (TF Serving: all)")
    flag("--model_name", default="default", help="name of the single model to serve")
    flag("--model_base_path", help="base path of the single model (integer version folders)")
    flag("--model_config_file", help="ModelServerConfig text proto; overrides the two above")
    flag(
        "--mount",
        metavar="HOST_DIR:CONTAINER_DIR",
        help="local extension, not a TF Serving flag: base paths in the model config that lie "
        "under CONTAINER_DIR are read from HOST_DIR (relative HOST_DIR taken from the working "
        "directory), as a container volume mount would map them; e.g. --mount models:/models",
    )
    flag("--model_config_file_poll_wait_seconds", type=_non_negative, default=0.0)
    flag("--file_system_poll_wait_seconds", type=_non_negative, default=1.0)
    flag("--enable_batching", type=_bool, nargs="?", const=True, default=False)
    flag("--batching_parameters_file", help="BatchingParameters text proto")
    flag("--monitoring_config_file", help="MonitoringConfig text proto (Prometheus path)")
    flag("--enable_model_warmup", type=_bool, nargs="?", const=True, default=True)
    flag("--num_request_iterations_for_warmup", type=int, default=1)
    # TF Serving's flags; its default 0 lets TensorFlow use every core for one model call.
    # Here requests and batches already run in parallel (one per core), and TensorFlow's
    # spinning worker threads cost more CPU than a small model's ops gain, so 1 by default.
    flag("--tensorflow_intra_op_parallelism", type=_threads, default=1, help="0: TF's choice")
    flag("--tensorflow_inter_op_parallelism", type=_threads, default=1, help="0: TF's choice")
    flag("--shutdown_grace_seconds", type=_non_negative, default=10.0, help="local: drain bound")
    return parser


def parse_options(argv: list[str] | None = None) -> Options:
    """Parses and validates the flags and the files they name; exits with a clear error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _to_options(args)
    except ConfigError as exc:
        parser.error(str(exc))  # exits


def _to_options(args: argparse.Namespace) -> Options:
    mount = parse_mount(args.mount) if args.mount is not None else None
    if args.model_config_file:
        config = load_model_config(args.model_config_file, mount)
    elif args.model_base_path:
        # Local extension: a relative --model_base_path is taken from the working directory.
        base_path = args.model_base_path
        if "://" not in base_path:
            base_path = os.path.abspath(base_path)
        config = resolve_model_config(single_model_config(args.model_name, base_path), mount)
    else:
        raise ConfigError("one of --model_base_path or --model_config_file is required")
    if args.batching_parameters_file and not args.enable_batching:
        raise ConfigError("--batching_parameters_file needs --enable_batching")
    if args.rest_api_port and args.rest_api_port == args.port:
        raise ConfigError("--rest_api_port cannot be same as --port")
    prometheus_path = load_prometheus_path(args.monitoring_config_file)
    if prometheus_path and not args.rest_api_port:
        raise ConfigError("--monitoring_config_file needs a --rest_api_port")
    if args.num_request_iterations_for_warmup < 1:
        raise ConfigError("--num_request_iterations_for_warmup must be >= 1")
    return Options(
        host=args.host,
        port=args.port,
        rest_api_port=args.rest_api_port,
        rest_api_timeout_seconds=args.rest_api_timeout_in_ms / 1000,
        model_config=config,
        model_config_file=args.model_config_file,
        mount=mount,
        model_config_file_poll_wait_seconds=args.model_config_file_poll_wait_seconds,
        file_system_poll_wait_seconds=args.file_system_poll_wait_seconds,
        batching=load_batching_options(args.batching_parameters_file)
        if args.enable_batching
        else None,
        prometheus_path=prometheus_path,
        enable_model_warmup=args.enable_model_warmup,
        num_request_iterations_for_warmup=args.num_request_iterations_for_warmup,
        shutdown_grace_seconds=args.shutdown_grace_seconds,
        intra_op_threads=args.tensorflow_intra_op_parallelism,
        inter_op_threads=args.tensorflow_inter_op_parallelism,
    )
