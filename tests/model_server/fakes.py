"""Fakes for the in-process model-server tests: a servable loader and model configs."""

from collections.abc import Callable
from pathlib import Path

from google.protobuf import text_format

from serving.model_server.config import ModelServerConfig
from serving.model_server.errors import LoadError
from serving.model_server.servable import Servable

ALL = "model_version_policy { all {} }"


class FakeLoader:
    """Loads any folder as a servable without signatures, except those told to fail."""

    def __init__(self) -> None:
        self.loaded: list[int] = []
        self.failing: dict[int, LoadError] = {}
        self.on_load: Callable[[], object] | None = None  # looks at the manager mid-load
        self.during_load: list[object] = []  # what `on_load` saw

    def __call__(self, path: Path) -> Servable:
        version = int(path.name)
        self.loaded.append(version)
        if self.on_load is not None:
            self.during_load.append(self.on_load())
        if version in self.failing:
            raise self.failing[version]
        return Servable(path, {}, {}, None)


def config(base: Path | str, policy: str = "", **labels: int) -> ModelServerConfig:
    labelled = " ".join(f'version_labels {{ key: "{k}" value: {v} }}' for k, v in labels.items())
    text = (
        f'model_config_list {{ config {{ name: "mnist" base_path: "{base}" '
        f'model_platform: "tensorflow" {policy} {labelled} }} }}'
    )
    parsed = text_format.Parse(text, ModelServerConfig())
    assert isinstance(parsed, ModelServerConfig)
    return parsed
