"""The demo: `python scripts/demo.py start` (make demo), `stop` (make stop), `publish`.

start: publishes a model if none is (training the CNN first), starts the local model server
(batching on) and the gateway in the background with their output in log files, waits until
the gateway is ready, writes sample images, sends them with the client and prints the URL.
Whatever is already running or published is reused. stop: ends the recorded processes.
publish: only the first step (make bench needs a model).

Settings come from the environment so that tests can run a demo beside a real one:
MODEL_BASE_PATH, RUN_DIR, DEMO_GRPC_PORT, DEMO_REST_PORT, DEMO_GATEWAY_PORT, DEMO_PID_DIR,
DEMO_LOG_DIR. Only the standard library and the stdlib-only parts of `contract` are imported
here, so `stop` runs without the venv.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `make stop` runs this without the venv: only the stdlib parts

from contract.model import MODEL_NAME  # noqa: E402
from contract.ports import GATEWAY_PORT, GRPC_PORT, REST_PORT  # noqa: E402
from contract.run_dir import MODEL_FILE  # noqa: E402
from contract.versions import published_versions  # noqa: E402

READY_TIMEOUT_S = 180.0  # the model server imports TensorFlow and loads and warms the model
STOP_TIMEOUT_S = 15.0
# (style, count, seed): the ten digits once, drawn in three of the styles people upload.
SAMPLES = (("plain", 4, 0), ("paper", 3, 4), ("photo", 3, 7))


def setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


MODEL_BASE_PATH = Path(setting("MODEL_BASE_PATH", "models/mnist"))
RUN_DIR = Path(setting("RUN_DIR", "runs/cnn"))
GRPC_PORT = int(setting("DEMO_GRPC_PORT", str(GRPC_PORT)))
REST_PORT = int(setting("DEMO_REST_PORT", str(REST_PORT)))
GATEWAY_PORT = int(setting("DEMO_GATEWAY_PORT", str(GATEWAY_PORT)))
PID_DIR = Path(setting("DEMO_PID_DIR", ".run"))
LOG_DIR = Path(setting("DEMO_LOG_DIR", "logs"))
GATEWAY_URL = f"http://127.0.0.1:{GATEWAY_PORT}"


def service_commands() -> dict[str, tuple[list[str], dict[str, str], int]]:
    """Each service: its command line, extra environment and the port it must find free."""
    config = ROOT / "serving" / "config"
    model_server = [
        *("-m", "serving.model_server", "--model_name", MODEL_NAME),
        *("--port", str(GRPC_PORT), "--rest_api_port", str(REST_PORT)),
        *("--model_base_path", str(MODEL_BASE_PATH.resolve())),
        *("--enable_batching", "--batching_parameters_file", str(config / "batching.config")),
        *("--monitoring_config_file", str(config / "monitoring.config")),
        "--enable_model_warmup",
    ]
    gateway_env = {
        "GATEWAY_MODEL_SERVER": f"127.0.0.1:{GRPC_PORT}",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(GATEWAY_PORT),
    }
    return {
        "model_server": ([sys.executable, *model_server], {}, GRPC_PORT),
        "gateway": ([sys.executable, "-m", "serving.gateway"], gateway_env, GATEWAY_PORT),
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


def pid_file(name: str) -> Path:
    return PID_DIR / f"{name}.pid"


def running_pid(name: str) -> int | None:
    """The recorded process id if that process is still ours and alive."""
    try:
        pid = int(pid_file(name).read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return pid  # no /proc to ask: trust the signal
    if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
        return None  # exited, not yet reaped by its parent
    # The command line is empty for a moment right after the start: only a non-empty one
    # that is not our service means the pid was reused by another program.
    text = proc.joinpath("cmdline").read_text(errors="replace")
    if text and f"serving.{name}" not in text:
        return None
    return pid


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_services() -> None:
    PID_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for name, (command, extra_env, port) in service_commands().items():
        pid = running_pid(name)
        if pid is not None:
            print(f"{name} already running (pid {pid}).")
            continue
        if not port_is_free(port):
            sys.exit(
                f"error: port {port} for {name} is taken by another program; stop it "
                "or choose other ports (DEMO_GRPC_PORT, DEMO_REST_PORT, DEMO_GATEWAY_PORT)."
            )
        log = LOG_DIR / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **extra_env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives make; stopped as a process group
            )
        pid_file(name).write_text(f"{process.pid}\n")
        print(f"{name} started (pid {process.pid}), log: {log}")


def wait_ready() -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    print(f"Waiting for {GATEWAY_URL}/readyz ...", flush=True)
    while time.monotonic() < deadline:
        for name in service_commands():
            if running_pid(name) is None:
                fail(f"{name} exited while starting")
        try:
            with urllib.request.urlopen(f"{GATEWAY_URL}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    fail(f"not ready after {READY_TIMEOUT_S:.0f} s")


def fail(reason: str) -> None:
    """Show the end of the logs, stop what was started and exit with an error."""
    for name in service_commands():
        log = LOG_DIR / f"{name}.log"
        if log.exists():
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- last lines of {log} ---", *tail, sep="\n", file=sys.stderr)
    stop()
    sys.exit(f"error: {reason}; see the logs above")


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


def start() -> None:
    ensure_model()
    start_services()
    wait_ready()
    try_it()
    print(f"\nThe gateway is ready. Web page: {GATEWAY_URL}/   API docs: {GATEWAY_URL}/docs")
    print(f"Logs: {LOG_DIR}/model_server.log, {LOG_DIR}/gateway.log.  Stop with: make stop")


def stop() -> None:
    """SIGTERM each recorded process group, SIGKILL what outlives the timeout."""
    for name in reversed(list(service_commands())):
        pid = running_pid(name)
        pid_file(name).unlink(missing_ok=True)
        if pid is None:
            continue
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline and group_alive(pid):
            time.sleep(0.1)
        if group_alive(pid):
            os.killpg(pid, signal.SIGKILL)
        print(f"{name} stopped (pid {pid}).")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # A zombie left by a parent that has not reaped it is not running.
    stat = Path(f"/proc/{pgid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def main() -> None:
    os.chdir(ROOT)  # relative settings mean the same to this script and to the services
    actions = {"start": start, "stop": stop, "publish": ensure_model}
    if len(sys.argv) != 2 or sys.argv[1] not in actions:
        sys.exit("usage: python scripts/demo.py {start|stop|publish}")
    actions[sys.argv[1]]()


if __name__ == "__main__":
    main()
