"""The live model config rendered from code, and the committed template that it renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving.rollout import config
from tests.fixtures.models import REPO_ROOT

TEMPLATE = REPO_ROOT / "serving" / "config" / "models.config"


def without_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))


def test_the_template_is_the_rendering_of_stable_1() -> None:
    rendered = config.render(config.build([1], {"stable": 1}))
    assert without_comments(TEMPLATE.read_text()) == rendered


def test_a_written_config_reads_back_with_its_versions_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "models.config"
    config.write(path, config.build([3, 2, 3], {"stable": 2, "canary": 3}))
    assert path.read_text().startswith(config.HEADER)
    (model,) = config.read(path).model_config_list.config
    assert (model.name, model.base_path) == ("mnist", "/models/mnist")
    assert list(model.model_version_policy.specific.versions) == [2, 3]
    assert dict(model.version_labels) == {"stable": 2, "canary": 3}


def test_the_base_path_comes_from_the_live_config(tmp_path: Path) -> None:
    path = tmp_path / "models.config"
    assert config.read_base_path(path) == "/models/mnist"  # no file yet: the container's
    config.write(path, config.build([1], {"stable": 1}, base_path="/srv/models/mnist"))
    assert config.read_base_path(path) == "/srv/models/mnist"
    with pytest.raises(config.ConfigFileError, match="no model named 'other'"):
        config.read_base_path(path, name="other")


def test_an_unreadable_config_is_named(tmp_path: Path) -> None:
    path = tmp_path / "models.config"
    path.write_text("model_config_list { nonsense }")
    with pytest.raises(config.ConfigFileError, match=f"{path} is not a ModelServerConfig"):
        config.read(path)
