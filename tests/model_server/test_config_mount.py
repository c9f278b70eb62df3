"""serving/config/models.config holds the container's base path (/models/mnist); the local
server reads it from a host folder through its local-only --mount flag, at start, on
--model_config_file polling reloads and on HandleReloadConfigRequest."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from tensorflow_serving.apis import get_model_status_pb2, model_management_pb2
from tensorflow_serving.config import model_server_config_pb2

from serving.model_server.config import Mount, load_model_config, parse_mount
from serving.model_server.errors import ConfigError
from serving.model_server.flags import parse_options
from tests.fixtures.models import REPO_ROOT
from tests.fixtures.servers import running_model_server
from tests.model_server.helpers import RPC_TIMEOUT, copy_version, digits, predict_request, stubs

MODELS_CONFIG = REPO_ROOT / "serving" / "config" / "models.config"
State = get_model_status_pb2.ModelVersionStatus.State


def test_mount_maps_paths_under_the_container_dir_only(tmp_path: Path) -> None:
    mount = parse_mount(f"{tmp_path}:/models/")
    assert mount == Mount(str(tmp_path), "/models")
    assert mount.host_path("/models/mnist") == str(tmp_path / "mnist")
    assert mount.host_path("/models/./mnist/") == str(tmp_path / "mnist")
    assert mount.host_path("/models") == str(tmp_path)
    assert mount.host_path("/models2/mnist") == "/models2/mnist"  # a prefix, not a parent
    assert mount.host_path("/srv/mnist") == "/srv/mnist"


def test_relative_host_dir_is_taken_from_the_working_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models").mkdir()
    monkeypatch.chdir(tmp_path)
    assert parse_mount("models:/models").host_dir == str(tmp_path / "models")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("models", "expected HOST_DIR:CONTAINER_DIR"),
        (":/models", "expected HOST_DIR:CONTAINER_DIR"),
        ("{tmp}:", "expected HOST_DIR:CONTAINER_DIR"),
        ("{tmp}:models", "CONTAINER_DIR must be absolute"),
        ("{tmp}/absent:/models", "is not a directory"),
    ],
)
def test_bad_mount_values_are_rejected(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_mount(value.format(tmp=tmp_path))


def test_served_config_file_is_read_through_the_mount(tmp_path: Path) -> None:
    options = parse_options([f"--model_config_file={MODELS_CONFIG}", f"--mount={tmp_path}:/models"])
    (model,) = options.model_config.model_config_list.config
    assert (model.name, model.base_path) == ("mnist", str(tmp_path / "mnist"))
    # Without the mount it is the container's path, which TF Serving accepts as it stands.
    (model,) = load_model_config(MODELS_CONFIG).model_config_list.config
    assert model.base_path == "/models/mnist"


def test_relative_base_path_is_refused_as_tf_serving_does(tmp_path: Path) -> None:
    config = tmp_path / "models.config"
    model = 'name: "mnist" base_path: "mnist" model_platform: "tensorflow"'
    config.write_text(f"model_config_list {{ config {{ {model} }} }}")
    with pytest.raises(ConfigError, match="Expected model mnist to have an absolute path"):
        load_model_config(config, parse_mount(f"{tmp_path}:/models"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--mount=nowhere:/models"], "--mount 'nowhere:/models': HOST_DIR 'nowhere'"),
        (["--mount=models"], "expected HOST_DIR:CONTAINER_DIR"),
        # Not a tensorflow_model_server flag (a ServerCore option): gone for --mount.
        (["--model_config_list_root_dir=models"], "unrecognized arguments"),
    ],
)
def test_bad_flags_stop_the_start_with_a_clear_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_options([f"--model_config_file={MODELS_CONFIG}", *argv])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_mount_is_a_start_up_error_of_the_command() -> None:
    command = [sys.executable, "-m", "serving.model_server", f"--model_config_file={MODELS_CONFIG}"]
    result = subprocess.run(
        [*command, "--mount=no-such-dir:/models"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 2
    assert "HOST_DIR 'no-such-dir' is not a directory" in result.stderr


def _container_config(
    policy: str, labels: dict[str, int] | None = None
) -> model_server_config_pb2.ModelServerConfig:
    config = model_server_config_pb2.ModelServerConfig()
    model = config.model_config_list.config.add(
        name="mnist", base_path="/models/mnist", model_platform="tensorflow"
    )
    if policy == "all":
        model.model_version_policy.all.SetInParent()
    else:
        model.model_version_policy.specific.versions.append(int(policy))
    for label, version in (labels or {}).items():
        model.version_labels[label] = version
    return config


def _states(model_stub) -> dict[int, int]:  # type: ignore[no-untyped-def]
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "mnist"
    response = model_stub.GetModelStatus(request, timeout=RPC_TIMEOUT)
    return {s.version: s.state for s in response.model_version_status}


@pytest.mark.integration
def test_container_config_served_locally_through_the_mount(
    published_model: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(published_model, models / "mnist")
    copy_version(models / "mnist" / "1", models / "mnist" / "2")
    config_file = tmp_path / "models.config"
    shutil.copyfile(MODELS_CONFIG, config_file)  # a copy, so that the test can change it
    flags = (
        f"--model_config_file={config_file}",
        f"--mount={models}:/models",
        "--model_config_file_poll_wait_seconds=0.5",
    )
    with running_model_server(None, *flags) as server:
        channel, prediction, model = stubs(server.grpc_target)
        images = digits(1)[0]
        # At start, the managed template: version 1 of /models/mnist, read from the host
        # folder, labelled stable; version 2 is only staged on disk.
        reply = prediction.Predict(predict_request(images, label="stable"), timeout=RPC_TIMEOUT)
        assert reply.model_spec.version.value == 1
        assert _states(model) == {1: State.AVAILABLE}

        # HandleReloadConfigRequest: the container's path again, mapped the same way.
        request = model_management_pb2.ReloadConfigRequest()
        request.config.CopyFrom(_container_config("all", {"stable": 1, "canary": 2}))
        assert model.HandleReloadConfigRequest(request, timeout=60).status.error_code == 0
        for label, version in (("stable", 1), ("canary", 2)):
            reply = prediction.Predict(predict_request(images, label=label), timeout=RPC_TIMEOUT)
            assert reply.model_spec.version.value == version

        # A polling reload of the changed file: only version 1 stays.
        config_file.write_text(str(_container_config("1")))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _states(model).get(2) != State.END:
            time.sleep(0.2)
        assert _states(model) == {1: State.AVAILABLE, 2: State.END}
        with pytest.raises(grpc.RpcError) as caught:
            prediction.Predict(predict_request(images, version=2), timeout=RPC_TIMEOUT)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        channel.close()
