"""The live model config: which versions TF Serving serves and what `stable`/`canary` name.

One function renders it (TF Serving's ModelServerConfig text proto, `specific` versions and
version labels), so the committed template (serving/config/models.config) and every file a
rollout writes have the same layout; `read_base_path` takes the container's base path back
out of a live file. Protobuf's text format and our TF-free messages: no TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from google.protobuf import text_format

from contract.model import MODEL_NAME
from contract.rollout import write_atomically
from serving.tfs_api.model_server_config_pb2 import ModelServerConfig

CONTAINER_BASE_PATH = "/models/mnist"  # the models volume, as TF Serving sees it
PLATFORM = "tensorflow"
HEADER = """\
# TF Serving ModelServerConfig, managed by `python -m serving.rollout`: it names the versions
# served (specific) and the labels stable/canary. A rollout applies a change with
# HandleReloadConfigRequest first and writes this file after, so a restarted server comes
# back as it was. Edit it with the rollout commands, not by hand.
"""


class ConfigFileError(ValueError):
    """The live config cannot be read back."""


def build(
    versions: Iterable[int],
    labels: Mapping[str, int],
    name: str = MODEL_NAME,
    base_path: str = CONTAINER_BASE_PATH,
) -> ModelServerConfig:
    """The config serving exactly `versions`, with `labels` (each must name one of them)."""
    config = ModelServerConfig()
    model = config.model_config_list.config.add()
    model.name, model.base_path, model.model_platform = name, base_path, PLATFORM
    model.model_version_policy.specific.versions.extend(sorted(set(versions)))
    model.version_labels.update(labels)
    return config


def render(config: ModelServerConfig) -> str:
    """The config as text proto (protobuf writes a map's keys sorted)."""
    return str(text_format.MessageToString(config))


def write(path: str | Path, config: ModelServerConfig) -> None:
    write_atomically(path, HEADER + render(config))


def read(path: str | Path) -> ModelServerConfig:
    try:
        text = Path(path).read_text()
        return text_format.Parse(text, ModelServerConfig())
    except OSError as exc:
        raise ConfigFileError(f"cannot read the model config {path}: {exc.strerror}") from exc
    except text_format.ParseError as exc:
        raise ConfigFileError(f"the model config {path} is not a ModelServerConfig: {exc}") from exc


def read_base_path(path: str | Path, name: str = MODEL_NAME) -> str:
    """The base path `path` gives model `name`; the container's default when there is no file."""
    if not Path(path).exists():
        return CONTAINER_BASE_PATH
    for model in read(path).model_config_list.config:
        if model.name == name:
            return str(model.base_path)
    raise ConfigFileError(f"the model config {path} has no model named {name!r}")
