"""The project's two services on free loopback ports: the local model server, the gateway.

    with running_model_server(Path("models/mnist"), "--enable_batching") as server:
        server.grpc_target, server.rest_url, server.pid
    with running_gateway(server.grpc_target, workers="2") as gateway:
        gateway.url, gateway.seconds_to_ready

Each waits until it is ready and is stopped on exit. The command lines and environment are
here too, for the demo, which starts the same services but leaves them running.

Managed mode (safe rollouts): the model server reads the live config that
`python -m serving.rollout` keeps (`managed_flags`), and the gateway follows rollout.json
beside it (`running_gateway(..., rollout_state=str(path))`, GATEWAY_ROLLOUT_STATE).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from contract.model import MODEL_NAME
from processes.ports import LOOPBACK, free_port, free_ports
from processes.service import REPO_ROOT, Service, running

CONFIG_DIR = REPO_ROOT / "serving" / "config"
BATCHING_CONFIG = CONFIG_DIR / "batching.config"
MONITORING_CONFIG = CONFIG_DIR / "monitoring.config"
GATEWAY_COMMAND = (sys.executable, "-m", "serving.gateway")
ROLLOUT_COMMAND = (sys.executable, "-m", "serving.rollout")
CONTAINER_BASE_PATH = f"/models/{MODEL_NAME}"  # what the managed config names
GATEWAY_START_TIMEOUT_S = 30.0
GATEWAY_STOP_GRACE_S = 10.0


def model_server_command(
    grpc_port: int,
    rest_port: int,
    *flags: str,
    model_base_path: Path | None = None,
    model_name: str = MODEL_NAME,
) -> list[str]:
    """`python -m serving.model_server` on these ports with `flags`; serving
    `model_base_path` as `model_name` when given (else pass --model_config_file)."""
    command = [
        *(sys.executable, "-m", "serving.model_server"),
        *(f"--port={grpc_port}", f"--rest_api_port={rest_port}", *flags),
    ]
    if model_base_path is not None:
        command += [f"--model_name={model_name}", f"--model_base_path={model_base_path}"]
    return command


def managed_flags(config_path: Path, model_base_path: Path) -> list[str]:
    """The model server's flags for the live config at `config_path`, which names the
    container's base path: `--mount` reads it from `model_base_path` on this machine."""
    return [
        f"--model_config_file={config_path}",
        f"--mount={model_base_path.resolve()}:{CONTAINER_BASE_PATH}",
    ]


def rollout_command(
    config_path: Path, model_base_path: Path, *args: str, model_server: str = "", gateway: str = ""
) -> list[str]:
    """`python -m serving.rollout` on this config and base path (and, when given, this model
    server and gateway)."""
    command = [*ROLLOUT_COMMAND, f"--config={config_path}", f"--model-base-path={model_base_path}"]
    if model_server:
        command.append(f"--model-server={model_server}")
    if gateway:
        command.append(f"--gateway={gateway}")
    return [*command, *args]


def gateway_env(model_server_target: str, port: int, **settings: str) -> dict[str, str]:
    """The gateway's environment: its upstream, loopback and port; `settings` become
    GATEWAY_<NAME> variables."""
    return {
        "GATEWAY_MODEL_SERVER": model_server_target,
        "GATEWAY_HOST": LOOPBACK,
        "GATEWAY_PORT": str(port),
        **{f"GATEWAY_{name.upper()}": value for name, value in settings.items()},
    }


@dataclass
class _Started:
    """A service that `running` started (so ours, with a Popen), and what it offers."""

    service: Service

    @property
    def process(self) -> subprocess.Popen[bytes]:
        assert self.service.process is not None, "started by `running`, so ours"
        return self.service.process

    @property
    def pid(self) -> int:
        return self.service.pid

    @property
    def log_path(self) -> Path:
        return self.service.log_path

    def log(self) -> str:
        return self.service.log()


@dataclass
class ModelServerProcess(_Started):
    grpc_target: str  # host:port of the gRPC API
    rest_url: str
    model_base_path: Path | None


@dataclass
class GatewayProcess(_Started):
    url: str
    seconds_to_ready: float  # from its start until it answered


@contextmanager
def log_file(name: str, path: Path | None) -> Iterator[Path]:
    """`path`, or a temporary file removed on exit (errors quote the log's tail)."""
    if path is not None:
        yield path
        return
    handle, temporary = tempfile.mkstemp(prefix=f"{name}-", suffix=".log")
    os.close(handle)
    try:
        yield Path(temporary)
    finally:
        Path(temporary).unlink(missing_ok=True)


@contextmanager
def running_model_server(
    model_base_path: Path | None = None,
    *flags: str,
    model_name: str = MODEL_NAME,
    wait_for_model: str | None = MODEL_NAME,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[ModelServerProcess]:
    """The model server on free ports with `flags` (see `model_server_command`). Ready when
    `wait_for_model` has an AVAILABLE version (None: when the REST port answers at all)."""
    grpc_port, rest_port = free_ports(2)
    command = model_server_command(
        grpc_port, rest_port, *flags, model_base_path=model_base_path, model_name=model_name
    )
    rest_url = f"http://{LOOPBACK}:{rest_port}"
    ready_url = f"{rest_url}/v1/models/{wait_for_model or 'none'}"
    with (
        log_file("model_server", log_path) as log,
        running(
            "model server",
            command,
            log,
            ready_url,
            text=b"AVAILABLE" if wait_for_model else b"",
            any_status=wait_for_model is None,
            env=env,
        ) as service,
    ):
        yield ModelServerProcess(service, f"{LOOPBACK}:{grpc_port}", rest_url, model_base_path)


@contextmanager
def running_gateway(
    model_server_target: str,
    wait_for: str = "/readyz",
    *,
    log_path: Path | None = None,
    **settings: str,
) -> Iterator[GatewayProcess]:
    """The gateway on a free port; ready when `wait_for` answers 200. `settings` become
    GATEWAY_<NAME> variables; `seconds_to_ready` is from its start to that answer."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    with (
        log_file("gateway", log_path) as log,
        running(
            "gateway",
            GATEWAY_COMMAND,
            log,
            url + wait_for,
            env=gateway_env(model_server_target, port, **settings),
            timeout=GATEWAY_START_TIMEOUT_S,
            interval=0.02,  # start-up time is measured (benchmarks/gateway_footprint.py)
            grace=GATEWAY_STOP_GRACE_S,
        ) as service,
    ):
        yield GatewayProcess(service, url, time.monotonic() - service.started_at)
