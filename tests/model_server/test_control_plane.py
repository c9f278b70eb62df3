"""Reloads through the control plane, in process: validation, --mount, the manager's answer."""

import asyncio
from pathlib import Path

import grpc
import pytest

from serving.model_server.config import Mount
from serving.model_server.control_plane import ControlPlane
from serving.model_server.errors import ServingError
from serving.model_server.manager import ModelManager, State
from tests.model_server.fakes import ALL, FakeLoader, config


def test_a_reload_reads_container_paths_through_the_mount(
    base: Path, loader: FakeLoader, manager: ModelManager
) -> None:
    control = ControlPlane(manager, Mount(str(base.parent), "/models"))
    asyncio.run(control.reload_config(config("/models/mnist", ALL)))
    assert loader.loaded == [1]
    assert [(s.version, s.state) for s in manager.status("mnist")] == [(1, State.AVAILABLE)]


def test_a_config_tf_serving_refuses_is_invalid_argument(manager: ModelManager) -> None:
    control = ControlPlane(manager, None)
    with pytest.raises(ServingError) as caught:
        asyncio.run(control.reload_config(config("mnist")))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "Expected model mnist to have an absolute path" in caught.value.message


def test_the_managers_refusal_comes_back_as_it_is(base: Path, manager: ModelManager) -> None:
    control = ControlPlane(manager, None)
    with pytest.raises(ServingError) as caught:
        asyncio.run(control.reload_config(config(base, stable=2)))
    assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION


def test_a_config_file_is_read_again_on_reload(
    base: Path, tmp_path: Path, loader: FakeLoader, manager: ModelManager
) -> None:
    control, path = ControlPlane(manager, None), tmp_path / "models.config"
    path.write_text(str(config(base)))
    asyncio.run(control.reload_config_file(path))
    assert loader.loaded == [1]

    path.write_text("model_config_list { nonsense }")
    with pytest.raises(ServingError) as caught:
        asyncio.run(control.reload_config_file(path))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    message = f"{path}: Error parsing text-format tensorflow.serving.ModelServerConfig"
    assert message in caught.value.message
