"""TF Serving's text-proto configuration files: models, batching, monitoring.

The rules follow TF Serving's ServerCore, so a file accepted here is accepted by the
tensorflow/serving container and the other way round. In particular every `base_path` must
be absolute (TF Serving: "Expected model X to have an absolute path or URI"). The files hold
the container's paths (`/models/mnist`); a `Mount` (local flag `--mount`) reads them from a
host folder, as the container's volume mount maps them.
"""

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import text_format
from google.protobuf.message import Message
from tensorflow_serving.config.model_server_config_pb2 import ModelConfig, ModelServerConfig

from serving.model_server.errors import ConfigError
from serving.model_server.protos import BatchingParameters, MonitoringConfig

PLATFORM = "tensorflow"
DEFAULT_PROMETHEUS_PATH = "/monitoring/prometheus/metrics"


@dataclass(frozen=True)
class BatchingOptions:
    """The BatchingParameters we honour, with TF Serving's defaults where unset."""

    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 10
    num_batch_threads: int = os.cpu_count() or 1


def parse_text_proto(path: str | Path, message: Message) -> Message:
    """Parses a text-proto file, naming the file and the offending field on error."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return text_format.Parse(text, message)
    except text_format.ParseError as exc:
        # TF Serving's (protobuf's) own words, which scripts and its tests look for.
        name = message.DESCRIPTOR.full_name
        raise ConfigError(f"{path}: Error parsing text-format {name}: {exc}") from exc


@dataclass(frozen=True)
class Mount:
    """`--mount HOST_DIR:CONTAINER_DIR` (local extension, not a TF Serving flag): base paths
    under `container_dir` are read from `host_dir`, as a container volume mount maps them."""

    host_dir: str
    container_dir: str

    def host_path(self, base_path: str) -> str:
        """`base_path` on the host, or unchanged when it is not under the container dir."""
        path = posixpath.normpath(base_path)
        if path == self.container_dir:
            return self.host_dir
        if path.startswith(self.container_dir.rstrip("/") + "/"):
            return os.path.join(self.host_dir, path[len(self.container_dir) :].lstrip("/"))
        return base_path


def parse_mount(text: str) -> Mount:
    """Parses HOST_DIR:CONTAINER_DIR; a relative HOST_DIR is taken from the working dir."""
    host_dir, sep, container_dir = text.rpartition(":")
    usage = f"--mount {text!r}: expected HOST_DIR:CONTAINER_DIR, e.g. models:/models"
    if not sep or not host_dir or not container_dir:
        raise ConfigError(usage)
    if not container_dir.startswith("/"):
        raise ConfigError(f"{usage} (CONTAINER_DIR must be absolute, got {container_dir!r})")
    if not os.path.isdir(host_dir):
        raise ConfigError(f"--mount {text!r}: HOST_DIR {host_dir!r} is not a directory")
    return Mount(os.path.abspath(host_dir), posixpath.normpath(container_dir))


def single_model_config(name: str, base_path: str) -> ModelServerConfig:
    """The config that --model_name/--model_base_path stand for."""
    config = ModelServerConfig()
    model = config.model_config_list.config.add()
    model.name, model.base_path, model.model_platform = name, base_path, PLATFORM
    return config


def _is_relative(path: str) -> bool:
    return "://" not in path and not os.path.isabs(path)


def resolve_model_config(
    config: ModelServerConfig, mount: Mount | None = None
) -> ModelServerConfig:
    """Validates a ModelServerConfig as TF Serving does and returns a copy with the base
    paths on this host (mapped through `mount`)."""
    if config.WhichOneof("config") != "model_config_list":
        raise ConfigError("model server config: only model_config_list is supported")
    resolved = ModelServerConfig()
    resolved.CopyFrom(config)
    names: set[str] = set()
    for model in resolved.model_config_list.config:
        _check_model(model, names)
        if _is_relative(model.base_path):
            raise ConfigError(
                f"Expected model {model.name} to have an absolute path or URI; "
                f"got base_path()={model.base_path}"
            )
        if "://" in model.base_path:
            raise ConfigError(f"model {model.name}: base_path URIs are not supported locally")
        if mount is not None:
            model.base_path = mount.host_path(model.base_path)
    return resolved


def _check_model(model: ModelConfig, names: set[str]) -> None:
    if not model.name:
        raise ConfigError("model_config_list.config.name must not be empty")
    if model.name in names:
        raise ConfigError(f"Illegal to list model {model.name} multiple times in config list")
    names.add(model.name)
    if not model.base_path:
        raise ConfigError(f"model {model.name}: base_path must not be empty")
    if model.model_platform != PLATFORM:
        raise ConfigError(
            f"model {model.name}: model_platform must be {PLATFORM!r}, got {model.model_platform!r}"
        )
    policy = model.model_version_policy
    if policy.WhichOneof("policy_choice") == "specific" and not policy.specific.versions:
        raise ConfigError(f"model {model.name}: model_version_policy.specific.versions is empty")


def load_model_config(path: str | Path, mount: Mount | None = None) -> ModelServerConfig:
    config = parse_text_proto(path, ModelServerConfig())
    assert isinstance(config, ModelServerConfig)
    return resolve_model_config(config, mount)


def load_batching_options(path: str | Path | None) -> BatchingOptions:
    if path is None:
        return BatchingOptions()
    params = parse_text_proto(path, BatchingParameters())
    defaults = BatchingOptions()
    values = {
        name: getattr(params, name).value if params.HasField(name) else getattr(defaults, name)
        for name in (
            "max_batch_size",
            "batch_timeout_micros",
            "max_enqueued_batches",
            "num_batch_threads",
        )
    }
    minimum = {"batch_timeout_micros": 0}
    for name, value in values.items():
        if value < minimum.get(name, 1):
            raise ConfigError(f"{path}: {name} must be >= {minimum.get(name, 1)}, got {value}")
    sizes = list(params.allowed_batch_sizes)  # type: ignore[attr-defined]
    if sizes and (sizes != sorted(set(sizes)) or sizes[-1] != values["max_batch_size"]):
        raise ConfigError(f"{path}: allowed_batch_sizes must increase and end with max_batch_size")
    return BatchingOptions(**values)


def load_prometheus_path(path: str | Path | None) -> str | None:
    """The metrics path on the REST port, or None when Prometheus export is off."""
    if path is None:
        return None
    config = parse_text_proto(path, MonitoringConfig())
    prometheus = config.prometheus_config  # type: ignore[attr-defined]
    if not prometheus.enable:
        return None
    if prometheus.path and not prometheus.path.startswith("/"):
        raise ConfigError(f"{path}: prometheus_config.path must start with '/'")
    return str(prometheus.path or DEFAULT_PROMETHEUS_PATH)
