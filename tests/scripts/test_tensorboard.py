"""`make tensorboard` (scripts/tensorboard_runs.py): it serves every run under the log
directory; a missing directory or a port in use is one line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from processes.ports import LOOPBACK, free_port
from processes.service import running
from tests.fixtures.models import REPO_ROOT

SCRIPT = str(REPO_ROOT / "scripts" / "tensorboard_runs.py")


def run_script(*args: str) -> tuple[int, list[str]]:
    result = subprocess.run(
        [sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode, result.stderr.splitlines()


def test_a_missing_log_directory_is_one_line(tmp_path: Path) -> None:
    code, stderr = run_script("--logdir", str(tmp_path / "runs"))
    assert code == 1 and len(stderr) == 1
    assert "no runs in" in stderr[0] and "python -m training" in stderr[0]


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = run_script("--logdir", str(tmp_path), "--port", str(port))
    assert code == 1 and stderr == [f"error: port {port} is in use (another TensorBoard?): "
                                    "pass another with --port"]  # fmt: skip


@pytest.mark.integration
def test_it_serves_the_runs_of_the_log_directory(tmp_path: Path) -> None:
    events = tmp_path / "runs" / "cnn" / "logs" / "train"
    events.mkdir(parents=True)
    (events / "events.out.tfevents.0.host").write_bytes(b"")  # a run TensorBoard lists
    port = free_port()
    command = [sys.executable, SCRIPT, "--logdir", str(tmp_path / "runs"), "--port", str(port)]
    url = f"http://{LOOPBACK}:{port}/data/runs"
    # Ready once /data/runs lists the run: TensorBoard found it under the log directory.
    log = tmp_path / "tb.log"
    with running("tensorboard", command, log, url, text=b"cnn/logs/train", timeout=60) as board:
        output = board.log()
    assert f"http://127.0.0.1:{port}/" in output
    assert "cuda" not in output and "oneDNN" not in output
