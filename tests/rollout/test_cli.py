"""The command line's refusals: one line on stderr, exit 2, nothing changed. And no
TensorFlow: the commands run in the gateway's image."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract.rollout import STATE_FILE, RolloutState, write_state
from processes.ports import free_port
from serving.rollout import cli, config
from tests.fixtures.models import REPO_ROOT


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    """A live config folder (stable 1) and a base path with versions 1 and 2."""
    models = tmp_path / "models" / "mnist"
    for version in (1, 2):
        (models / str(version)).mkdir(parents=True)
    config_path = tmp_path / "config" / "models.config"
    config.write(config_path, config.build([1], {"stable": 1}))
    write_state(config_path.parent / STATE_FILE, RolloutState(stable=1, generation=1))
    return config_path, models


def rollout(paths: tuple[Path, Path], *args: str, server: str = "") -> int:
    config_path, models = paths
    server = server or f"127.0.0.1:{free_port()}"  # nothing listens there
    common = ["--config", str(config_path), "--model-base-path", str(models)]
    gateway = f"http://127.0.0.1:{free_port()}"
    return cli.main([*common, "--model-server", server, "--gateway", gateway, *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["canary", "9", "--percent", "10"], "error: version 9 is not on disk in "),
        (["canary", "2", "--percent", "120"], "error: --percent 120 is outside 0..100"),
        (["promote"], "error: there is no candidate to promote"),
        (["rollback"], "error: there is no candidate to roll back"),
        (["watch"], "error: there is no candidate to watch"),
        (["watch", "--window", "0"], "error: --window 0 must be more than 0 seconds"),
        (["canary", "2", "--percent", "10"], "error: model server 127.0.0.1:"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    state_before = (paths[0].parent / STATE_FILE).read_text()
    assert rollout(paths, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
    assert (paths[0].parent / STATE_FILE).read_text() == state_before


def test_an_unreachable_model_server_is_named(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    assert rollout(paths, "canary", "2", "--percent", "10", server=f"127.0.0.1:{port}") == 2
    assert f"model server 127.0.0.1:{port} unreachable (UNAVAILABLE)" in capsys.readouterr().err


def test_a_canary_while_another_runs(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (paths[1] / "3").mkdir()
    running = RolloutState(stable=1, candidate=2, mode="canary", percent=10, generation=2)
    write_state(paths[0].parent / STATE_FILE, running)
    assert rollout(paths, "canary", "3", "--percent", "10") == 2
    assert "error: version 2 is already the canary: promote or roll it back first" in (
        capsys.readouterr().err
    )


def test_a_corrupt_state_file(paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    (paths[0].parent / STATE_FILE).write_text('{"stable": 1, "mode": "canary"')
    assert rollout(paths, "status") == 2
    assert capsys.readouterr().err.startswith("error: unreadable rollout state:")


def test_a_bad_steps_flag_is_a_usage_error(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        rollout(paths, "watch", "--steps", "50,10")
    assert stopped.value.code == 2
    assert "expected increasing percents in (0, 100]" in capsys.readouterr().err


def test_status_without_a_model_server_still_reports(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert rollout(paths, "status") == 0
    out = capsys.readouterr().out
    assert "published on disk" in out and ": 1, 2" in out
    assert "unreachable" in out
    assert "labels (as last applied" in out and "stable → 1" in out
    assert "split: 100% stable" in out
    assert "guard's last decision: none yet" in out


def test_init_from_the_environment_defaults(tmp_path: Path) -> None:
    """`init` as compose runs it, without TensorFlow in the process."""
    (tmp_path / "models" / "mnist" / "3").mkdir(parents=True)
    env = {
        "ROLLOUT_CONFIG": str(tmp_path / "config" / "models.config"),
        "ROLLOUT_MODEL_BASE_PATH": str(tmp_path / "models" / "mnist"),
        "PATH": "/usr/bin:/bin",
    }
    code = (
        "import sys; from serving.rollout.cli import main; code = main(['init']); "
        "assert not [m for m in sys.modules if m.startswith('tensorflow')]; sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    (model,) = config.read(tmp_path / "config" / "models.config").model_config_list.config
    assert dict(model.version_labels) == {"stable": 3}
    assert '"stable": 3' in (tmp_path / "config" / STATE_FILE).read_text()
