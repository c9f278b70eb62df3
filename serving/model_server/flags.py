"""Command line of `python -m serving.model_server`: every flag of tensorflow_model_server.

TF Serving spells booleans `--enable_batching`, `--enable_batching=true` or `=false`; both
work here. Flags that TF Serving lacks are marked "local". Flags without a meaning in a CPU
server written in Python (GPU, TFLite, TPU, ...) are accepted, so that a command line written
for the container starts this server too, and logged once as having no effect (`INERT`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from serving.model_server.errors import ConfigError
from serving.model_server.limits import MAX_REQUEST_TENSOR_BYTES
from training.quiet import import_tensorflow  # the same quiet import as the other CLIs

if TYPE_CHECKING:  # config reads TF Serving's protos, which import TensorFlow: see parse_options
    from serving.model_server.config import BatchingOptions, ModelServerConfig, Mount

log = logging.getLogger(__name__)

GrpcArgs = tuple[tuple[str, int | str], ...]

# tensorflow_model_server flags accepted without effect here, and why.
INERT = {
    "num_load_threads": "versions load one at a time here",
    "num_unload_threads": "versions unload one at a time here",
    "flush_filesystem_caches": "no file system caches to flush",
    "use_alts_credentials": "ALTS needs Google's infrastructure",
    "ssl_config_file": "TLS is not served locally",
    "platform_config_file": "only the TensorFlow platform is served",
    "per_process_gpu_memory_fraction": "GPU option (GPU memory grows on demand here)",
    "enable_per_model_batching_parameters": "one batching configuration for all models",
    "remove_unused_fields_from_bundle_metagraph": "a memory option of the C++ loader",
    "prefer_tflite_model": "TFLite models are not served",
    "num_tflite_pools": "TFLite models are not served",
    "num_tflite_interpreters_per_pool": "TFLite models are not served",
    "xla_gpu_compilation_enabled": "GPU option",
    "enable_profiler": "the profiler service is not served",
    "thread_pool_factory_config_file": "thread pools are Python's",
    "mixed_precision": "a GPU/TPU option",
    "skip_initialize_tpu": "TPU option",
    "enable_grpc_healthcheck_service": "grpcio-health-checking is not installed",
    "tensorflow_session_config_file": "sessions take their options from the other flags here",
}


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
    grpc_socket_path: str = ""
    grpc_channel_arguments: GrpcArgs = ()
    grpc_max_threads: int = 0  # 0: no bound
    rest_api_num_threads: int = 0  # 0: no bound
    enable_cors: bool = False
    tensor_content: bool = False
    allow_unavailable_labels: bool = False
    max_num_load_retries: int = 5
    load_retry_interval_seconds: float = 60.0
    saved_model_tags: tuple[str, ...] = ("serve",)
    method_name_check: bool = False
    xla_cpu: bool = False
    max_request_tensor_bytes: int = MAX_REQUEST_TENSOR_BYTES


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


def parse_grpc_args(text: str) -> GrpcArgs:
    """`a=1,b=x` as TF Serving reads it: an int where the value parses as one, else text."""
    parsed: list[tuple[str, int | str]] = []
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--grpc_channel_arguments: expected key=value, got {item!r}")
        try:
            parsed.append((key, int(value)))
        except ValueError:
            parsed.append((key, value))
    return tuple(parsed)


def _switch(parser: argparse.ArgumentParser, name: str, default: bool, text: str = "") -> None:
    parser.add_argument(f"--{name}", type=_bool, nargs="?", const=True, default=default, help=text)


def _add_serving_flags(parser: argparse.ArgumentParser) -> None:
    flag = parser.add_argument
    flag("--port", type=_port, default=8500, help="gRPC port (0: pick a free one)")
    flag("--grpc_socket_path", default="", help="also serve gRPC on this UNIX socket")
    flag("--grpc_channel_arguments", default="", help="gRPC server arguments: a=1,b=text")
    flag("--grpc_max_threads", type=_threads, default=0, help="bound on concurrent RPCs")
    flag("--rest_api_port", type=_port, default=8501, help="REST port; 0 turns REST off")
    flag("--rest_api_num_threads", type=_threads, default=0, help="bound on REST requests")
    flag("--rest_api_timeout_in_ms", type=int, default=30000, help="REST request timeout")
    _switch(parser, "rest_api_enable_cors_support", False, "CORS headers on REST answers")
    flag("--host", default="127.0.0.1", help="local: interface to bind (TF Serving: all)")
    _switch(parser, "enable_serialization_as_tensor_content", False)
    flag("--shutdown_grace_seconds", type=_non_negative, default=10.0, help="local: drain bound")
    flag(
        "--max_request_tensor_bytes",
        type=int,
        default=MAX_REQUEST_TENSOR_BYTES,
        help="local: a request whose tensors would decode to more is refused before decoding",
    )


def _add_model_flags(parser: argparse.ArgumentParser) -> None:
    flag = parser.add_argument
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
    flag("--model_config_file_poll_wait_seconds", type=float, default=0.0)
    # Negative: no polling after the first look (TF Serving reserves it for tests).
    flag("--file_system_poll_wait_seconds", type=float, default=1.0)
    flag("--saved_model_tags", default="serve", help="comma-separated MetaGraph tags")
    flag("--max_num_load_retries", type=_threads, default=5)
    flag("--load_retry_interval_micros", type=int, default=60_000_000)
    _switch(parser, "allow_version_labels_for_unavailable_models", False)
    _switch(parser, "enable_signature_method_name_check", False)
    _switch(parser, "enable_model_warmup", True)
    flag("--num_request_iterations_for_warmup", type=int, default=0, help="used when > 0")
    _switch(parser, "enable_batching", False)
    flag("--batching_parameters_file", help="BatchingParameters text proto")
    flag("--monitoring_config_file", help="MonitoringConfig text proto (Prometheus path)")


def _add_tensorflow_flags(parser: argparse.ArgumentParser) -> None:
    flag = parser.add_argument
    # TF Serving's flags; its default 0 lets TensorFlow use every core for one model call.
    # Here requests and batches already run in parallel (one per core), and TensorFlow's
    # spinning worker threads cost more CPU than a small model's ops gain, so 1 by default.
    flag("--tensorflow_intra_op_parallelism", type=_threads, help="0: TF's choice; default 1")
    flag("--tensorflow_inter_op_parallelism", type=_threads, help="0: TF's choice; default 1")
    flag("--tensorflow_session_parallelism", type=_threads, default=0, help="both of the above")
    _switch(parser, "xla_cpu_compilation_enabled", False, "XLA JIT on the CPU")
    _switch(parser, "version", False, "print the versions and exit")
    for name, reason in INERT.items():
        flag(f"--{name}", nargs="?", const="true", help=f"no effect here: {reason}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m serving.model_server",
        description="Local model server speaking TF Serving's gRPC and REST APIs.",
    )
    _add_serving_flags(parser)
    _add_model_flags(parser)
    _add_tensorflow_flags(parser)
    return parser


def parse_options(argv: list[str] | None = None) -> Options:
    """Parses and validates the flags and the files they name; exits with a clear error."""
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and usage errors end here, before TensorFlow
    if args.version:
        print_version()
        sys.exit(0)
    import_tensorflow()  # quietly, before the config's protos import it
    try:
        options = _to_options(args)
    except ConfigError as exc:
        parser.error(str(exc))  # exits
    _log_inert(args)
    return options


def print_version() -> None:
    """`--version`, in tensorflow_model_server's two lines."""
    try:
        api = metadata.version("tensorflow-serving-api")
    except metadata.PackageNotFoundError:
        api = "unknown"
    import tensorflow as tf

    print(f"TensorFlow ModelServer: local (serving.model_server, TF Serving API {api})")
    print(f"TensorFlow Library: {tf.__version__}")


def _log_inert(args: argparse.Namespace) -> None:
    for name, reason in INERT.items():
        if getattr(args, name) is not None:
            log.warning("--%s has no effect in the local model server: %s", name, reason)


def _model_config(args: argparse.Namespace, mount: Mount | None) -> ModelServerConfig:
    from serving.model_server.config import (
        load_model_config,
        resolve_model_config,
        single_model_config,
    )

    if args.model_config_file:
        return load_model_config(args.model_config_file, mount)
    if args.model_base_path:
        # Local extension: a relative --model_base_path is taken from the working directory.
        base_path = args.model_base_path
        if "://" not in base_path:
            base_path = os.path.abspath(base_path)
        return resolve_model_config(single_model_config(args.model_name, base_path), mount)
    raise ConfigError("one of --model_base_path or --model_config_file is required")


def _check(args: argparse.Namespace, prometheus_path: str | None) -> None:
    if args.batching_parameters_file and not args.enable_batching:
        raise ConfigError("--batching_parameters_file needs --enable_batching")
    if args.rest_api_port and args.rest_api_port == args.port:
        raise ConfigError("--rest_api_port cannot be same as --port")
    if prometheus_path and not args.rest_api_port:
        raise ConfigError("--monitoring_config_file needs a --rest_api_port")
    if not args.saved_model_tags.strip(","):
        raise ConfigError("--saved_model_tags must name at least one tag")


def _op_threads(args: argparse.Namespace) -> tuple[int, int]:
    """Intra- and inter-op threads: each flag, else the session's, else 1 (see above)."""
    fallback = args.tensorflow_session_parallelism or 1
    intra, inter = args.tensorflow_intra_op_parallelism, args.tensorflow_inter_op_parallelism
    return (fallback if intra is None else intra, fallback if inter is None else inter)


def _to_options(args: argparse.Namespace) -> Options:
    from serving.model_server.config import load_batching_options, load_prometheus_path, parse_mount

    mount = parse_mount(args.mount) if args.mount is not None else None
    config = _model_config(args, mount)
    prometheus_path = load_prometheus_path(args.monitoring_config_file)
    _check(args, prometheus_path)
    intra, inter = _op_threads(args)
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
        num_request_iterations_for_warmup=max(args.num_request_iterations_for_warmup, 1),
        shutdown_grace_seconds=args.shutdown_grace_seconds,
        intra_op_threads=intra,
        inter_op_threads=inter,
        grpc_socket_path=args.grpc_socket_path,
        grpc_channel_arguments=parse_grpc_args(args.grpc_channel_arguments),
        grpc_max_threads=args.grpc_max_threads,
        rest_api_num_threads=args.rest_api_num_threads,
        enable_cors=args.rest_api_enable_cors_support,
        tensor_content=args.enable_serialization_as_tensor_content,
        allow_unavailable_labels=args.allow_version_labels_for_unavailable_models,
        max_num_load_retries=args.max_num_load_retries,
        load_retry_interval_seconds=max(args.load_retry_interval_micros, 0) / 1e6,
        saved_model_tags=tuple(t.strip() for t in args.saved_model_tags.split(",") if t.strip()),
        method_name_check=args.enable_signature_method_name_check,
        xla_cpu=args.xla_cpu_compilation_enabled,
        max_request_tensor_bytes=args.max_request_tensor_bytes,
    )
