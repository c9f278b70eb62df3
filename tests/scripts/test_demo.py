"""The demo's start and stop scripts, run beside any real demo: a copy of the published
model, free ports, and their own pid and log directories (the scripts' overrides)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from processes.ports import free_ports
from processes.service import group_running
from tests.fixtures.models import REPO_ROOT

SERVICES = ("model_server", "gateway")


@pytest.fixture
def demo_env(published_model: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    models = tmp_path / "models" / "mnist"
    shutil.copytree(published_model, models)
    grpc_port, rest_port, gateway_port = free_ports(3)
    env = {
        **os.environ,
        "MODEL_BASE_PATH": str(models),
        "RUN_DIR": str(tmp_path / "runs" / "cnn"),
        "DEMO_CONFIG_DIR": str(tmp_path / "config"),
        "DEMO_GRPC_PORT": str(grpc_port),
        "DEMO_REST_PORT": str(rest_port),
        "DEMO_GATEWAY_PORT": str(gateway_port),
        "DEMO_PID_DIR": str(tmp_path / "run"),
        "DEMO_LOG_DIR": str(tmp_path / "logs"),
    }
    yield env
    for name in SERVICES:  # whatever the test's outcome, nothing outlives it
        pid_file = tmp_path / "run" / f"{name}.pid"
        if pid_file.exists() and group_running(pgid := int(pid_file.read_text())):
            os.killpg(pgid, signal.SIGKILL)


def demo(action: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/demo.py", action],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.integration
def test_demo_starts_serves_reuses_and_stops_without_leftovers(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    started = demo("start", demo_env)
    assert started.returncode == 0, started.stdout + started.stderr
    url = f"http://127.0.0.1:{demo_env['DEMO_GATEWAY_PORT']}"
    assert "(no training)" in started.stdout
    assert f"Web page: {url}/" in started.stdout
    assert "digit" in started.stdout and "confidence" in started.stdout  # the predictions
    pids = {name: int((tmp_path / "run" / f"{name}.pid").read_text()) for name in SERVICES}
    assert all(group_running(pid) for pid in pids.values())
    assert (tmp_path / "logs" / "gateway.log").exists()
    assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    # Managed: the live config serves version 1 as stable and the gateway follows the state.
    assert 'key: "stable"' in (tmp_path / "config" / "models.config").read_text()
    assert httpx.get(f"{url}/v1/rollout", timeout=5).json()["generation"] == 1
    assert "canary N --percent 10" in started.stdout

    again = demo("start", demo_env)  # reuses the running services
    assert again.returncode == 0, again.stdout + again.stderr
    for name, pid in pids.items():
        assert f"{name} already running (pid {pid})" in again.stdout

    stopped = demo("stop", demo_env)
    assert stopped.returncode == 0, stopped.stderr
    assert not any(group_running(pid) for pid in pids.values())
    assert not list((tmp_path / "run").glob("*.pid"))
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/healthz", timeout=2)
    assert demo("stop", demo_env).returncode == 0  # stopping twice is harmless


@pytest.mark.integration
def test_demo_refuses_a_taken_port(demo_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        demo_env["DEMO_GRPC_PORT"] = str(taken.getsockname()[1])
        result = demo("start", demo_env)
    assert result.returncode == 1
    assert f"port {demo_env['DEMO_GRPC_PORT']} for model_server is taken" in result.stderr
