"""The demo: `python scripts/demo.py start` (make demo), `stop` (make stop), `publish`.

start: publishes a model if none is (training the CNN first), writes the live model config
and rollout state if absent (`python -m serving.rollout init`: managed mode, a version
published later is only staged until a rollout serves it), starts the local model server
(batching on, on that config) and the gateway (following rollout.json) in the background with
their output in log files, waits until the gateway is ready, writes sample images, sends them
with the client and prints the URL. Whatever is already running or published is reused.
stop: ends the recorded processes. publish: only the first step (make bench needs a model).

Settings come from the environment so that tests can run a demo beside a real one:
MODEL_BASE_PATH, RUN_DIR, DEMO_CONFIG_DIR (the live config and rollout.json, default
models/config), DEMO_GRPC_PORT, DEMO_REST_PORT, DEMO_GATEWAY_PORT, DEMO_PID_DIR,
DEMO_LOG_DIR. Only the standard library and the stdlib-only parts of `contract` are imported
here, so `stop` runs without the venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `make stop` runs this without the venv: only the stdlib parts

from contract.ports import GATEWAY_PORT, GRPC_PORT, REST_PORT  # noqa: E402
from contract.rollout import CONFIG_FILE, LOCAL_CONFIG_DIR, STATE_FILE  # noqa: E402
from contract.run_dir import MODEL_FILE  # noqa: E402
from contract.versions import published_versions  # noqa: E402
from processes import proc  # noqa: E402
from processes.ports import port_is_free  # noqa: E402
from processes.servers import (  # noqa: E402
    BATCHING_CONFIG,
    GATEWAY_COMMAND,
    MONITORING_CONFIG,
    gateway_env,
    managed_flags,
    model_server_command,
    rollout_command,
)
from processes.service import Service, ServiceError, start, wait_ready  # noqa: E402

STOP_TIMEOUT_S = 15.0
# (style, count, seed): the ten digits once, drawn in three of the styles people upload.
SAMPLES = (("plain", 4, 0), ("paper", 3, 4), ("photo", 3, 7))


def setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


MODEL_BASE_PATH = Path(setting("MODEL_BASE_PATH", "models/mnist"))
RUN_DIR = Path(setting("RUN_DIR", "runs/cnn"))
CONFIG_DIR = Path(setting("DEMO_CONFIG_DIR", str(LOCAL_CONFIG_DIR)))
CONFIG_PATH = CONFIG_DIR / CONFIG_FILE
GRPC_PORT = int(setting("DEMO_GRPC_PORT", str(GRPC_PORT)))
REST_PORT = int(setting("DEMO_REST_PORT", str(REST_PORT)))
GATEWAY_PORT = int(setting("DEMO_GATEWAY_PORT", str(GATEWAY_PORT)))
PID_DIR = Path(setting("DEMO_PID_DIR", ".run"))
LOG_DIR = Path(setting("DEMO_LOG_DIR", "logs"))
GATEWAY_URL = f"http://127.0.0.1:{GATEWAY_PORT}"
SERVICES = ("model_server", "gateway")  # in start order; stopped in reverse


def service_commands() -> dict[str, tuple[list[str], dict[str, str], int]]:
    """Each service: its command line, extra environment and the port it must find free."""
    model_server = model_server_command(
        GRPC_PORT,
        REST_PORT,
        *managed_flags(CONFIG_PATH.resolve(), MODEL_BASE_PATH),
        *("--enable_batching", f"--batching_parameters_file={BATCHING_CONFIG}"),
        *(f"--monitoring_config_file={MONITORING_CONFIG}", "--enable_model_warmup"),
    )
    state = str((CONFIG_DIR / STATE_FILE).resolve())
    gateway = gateway_env(f"127.0.0.1:{GRPC_PORT}", GATEWAY_PORT, rollout_state=state)
    return {
        "model_server": (model_server, {}, GRPC_PORT),
        "gateway": (list(GATEWAY_COMMAND), gateway, GATEWAY_PORT),
    }


def run(*command: str) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run([sys.executable, *command], cwd=ROOT, check=True)


def ensure_model() -> None:
    """Train and publish version 1 only when no version is published yet."""
    versions = published_versions(MODEL_BASE_PATH)
    if versions:
        print(f"Serving the published versions {versions} of {MODEL_BASE_PATH} (no training).")
        return
    reuse = ["--reuse"] if (RUN_DIR / MODEL_FILE).exists() else []
    run("-m", "training", "--model", "cnn", "--run-dir", str(RUN_DIR), "--seed", "1", *reuse)
    run("-m", "export", "--run-dir", str(RUN_DIR), "--model-base-path", str(MODEL_BASE_PATH),
        "--if-none-published")  # fmt: skip


def init_rollout() -> None:
    """The live config and rollout state, where absent (what a restart reads back)."""
    command = rollout_command(CONFIG_PATH, MODEL_BASE_PATH, "init")
    print("+", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def pid_file(name: str) -> Path:
    return PID_DIR / f"{name}.pid"


def log_file(name: str) -> Path:
    return LOG_DIR / f"{name}.log"


def recorded(name: str) -> Service | None:
    """The service whose pid is recorded, if that process is still ours and alive."""
    try:
        pid = int(pid_file(name).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    service = Service(name, pid, log_file(name))
    if not service.running():
        return None
    # The command line is empty for a moment right after the start: only a non-empty one
    # that is not our service means the pid was reused by another program.
    command = proc.command_line(pid)
    if command and f"serving.{name}" not in command:
        return None
    return service


def start_services() -> list[Service]:
    """The recorded services still running, and the others started; all of them."""
    PID_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    services = []
    for name, (command, extra_env, port) in service_commands().items():
        service = recorded(name)
        if service is not None:
            print(f"{name} already running (pid {service.pid}).")
        else:
            service = start_service(name, command, extra_env, port)
        services.append(service)
    return services


def start_service(name: str, command: list[str], extra_env: dict[str, str], port: int) -> Service:
    if not port_is_free(port):
        sys.exit(
            f"error: port {port} for {name} is taken by another program; stop it "
            "or choose other ports (DEMO_GRPC_PORT, DEMO_REST_PORT, DEMO_GATEWAY_PORT)."
        )
    # Its own session: it survives make, and is stopped as a process group.
    service = start(name, command, log_file(name), env=extra_env, append=True, cwd=ROOT)
    pid_file(name).write_text(f"{service.pid}\n")
    print(f"{name} started (pid {service.pid}), log: {service.log_path}")
    return service


def wait_until_ready(services: list[Service]) -> None:
    print(f"Waiting for {GATEWAY_URL}/readyz ...", flush=True)
    try:
        wait_ready(f"{GATEWAY_URL}/readyz", *services, interval=0.5)
    except ServiceError as error:
        fail(error.summary)


def fail(reason: str) -> None:
    """Show the end of the logs, stop what was started and exit with an error (`reason`
    names the logs)."""
    for name in SERVICES:
        log = log_file(name)
        if log.exists():
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- last lines of {log} ---", *tail, sep="\n", file=sys.stderr)
    stop()
    sys.exit(f"error: {reason}")


def try_it() -> None:
    samples = PID_DIR / "samples"
    shutil.rmtree(samples, ignore_errors=True)  # only this run's images in the table
    files: list[str] = []
    for style, count, seed in SAMPLES:
        out = samples / style
        run("-m", "client", "samples", "--out", str(out), "--style", style,
            "--count", str(count), "--seed", str(seed))  # fmt: skip
        files += sorted(str(p) for p in out.iterdir() if p.is_file())
    run("-m", "client", "predict", "--url", GATEWAY_URL, *files)


def start_demo() -> None:
    ensure_model()
    init_rollout()
    wait_until_ready(start_services())
    try_it()
    print(f"\nThe gateway is ready. Web page: {GATEWAY_URL}/   API docs: {GATEWAY_URL}/docs")
    print(f"Logs: {LOG_DIR}/model_server.log, {LOG_DIR}/gateway.log.  Stop with: make stop")
    rollout = " ".join(["python", *rollout_command(CONFIG_PATH, MODEL_BASE_PATH)[1:]])
    print(f"Roll out a new version: {rollout} canary N --percent 10, then watch (or status).")


def stop() -> None:
    """SIGTERM each recorded process group, SIGKILL what outlives the timeout."""
    for name in reversed(SERVICES):
        service = recorded(name)
        pid_file(name).unlink(missing_ok=True)
        if service is None:
            continue
        service.stop(STOP_TIMEOUT_S)
        print(f"{name} stopped (pid {service.pid}).")


def main() -> None:
    os.chdir(ROOT)  # relative settings mean the same to this script and to the services
    actions = {"start": start_demo, "stop": stop, "publish": ensure_model}
    if len(sys.argv) != 2 or sys.argv[1] not in actions:
        sys.exit("usage: python scripts/demo.py {start|stop|publish}")
    actions[sys.argv[1]]()


if __name__ == "__main__":
    main()
