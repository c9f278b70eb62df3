"""A service: a command in its own session, its output in a log file, stopped as a group.

    service = start("gateway", [sys.executable, "-m", "serving.gateway"], log_path)
    wait_ready("http://127.0.0.1:8000/readyz", service)   # ServiceError naming the log
    service.stop()                                        # SIGTERM, SIGKILL after a grace

`running(...)` does the three as a context manager. A service's pid is its process group,
so stopping it stops whatever it spawned (uvicorn's workers) too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from processes import proc

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 180.0  # the model server imports TensorFlow and loads and warms a model
STOP_GRACE_S = 20.0  # the model server drains in-flight requests on SIGTERM
TAIL_LINES = 20

# Services listen on loopback: never ask a proxy from the environment (http_proxy).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServiceError(RuntimeError):
    """A service exited or did not become ready; `summary` names its log, str() adds its tail."""

    def __init__(self, summary: str, tail: str = "") -> None:
        super().__init__(f"{summary}\n{tail}" if tail else summary)
        self.summary = summary


@dataclass
class Service:
    """A started process group; `process` is None for one started by an earlier program
    (the demo's services, found by their pid files)."""

    name: str
    pid: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = field(default_factory=time.monotonic)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = TAIL_LINES) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def running(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # alive, owned by someone else
        return not proc.is_zombie(self.pid)

    def stop(self, grace: float = STOP_GRACE_S) -> int | None:
        """Stop the group; the exit code when we started it (None otherwise)."""
        stop_group(self.pid, grace)
        return self.process.wait() if self.process is not None else None


def start(
    name: str,
    command: Sequence[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    append: bool = False,
    cwd: Path = REPO_ROOT,
) -> Service:
    """Start `command` in a new session (it outlives our terminal's signals; stopped as a
    group), stdin closed, stdout and stderr into `log_path`, `env` added to ours."""
    with log_path.open("ab" if append else "wb") as out:
        started_at = time.monotonic()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Service(name, process.pid, log_path, process, started_at)


def answers(url: str, text: bytes = b"", any_status: bool = False) -> bool:
    """Whether `url` answers 200 with `text` in its body (any HTTP answer: `any_status`)."""
    try:
        with _OPENER.open(url, timeout=2) as answer:
            return bool(answer.status == 200 and text in answer.read())
    except urllib.error.HTTPError as error:
        error.close()
        return any_status
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(
    url: str,
    *services: Service,
    text: bytes = b"",
    any_status: bool = False,
    timeout: float = START_TIMEOUT_S,
    interval: float = 0.2,
) -> None:
    """Return once `url` answers (see `answers`); ServiceError if one of `services` exits
    first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        for service in services:
            if not service.running():
                raise _exited(service, url)
        if answers(url, text, any_status):
            return
        if time.monotonic() >= deadline:
            logs = ", ".join(str(s.log_path) for s in services)
            summary = f"{url} did not answer within {timeout:.0f} s; see {logs}"
            raise ServiceError(summary, services[-1].tail() if services else "")
        time.sleep(interval)


def _exited(service: Service, url: str) -> ServiceError:
    code = service.process.returncode if service.process is not None else None
    how = f" with code {code}" if code is not None else ""
    summary = f"{service.name} exited{how} before {url} answered; see {service.log_path}"
    return ServiceError(summary, service.tail())


def group_running(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies do not count where /proc says)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return proc.group_running(pgid) if proc.available() else True


def stop_group(pgid: int, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM the process group, SIGKILL whatever of it outlives `grace` seconds."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and group_running(pgid):
        time.sleep(0.05)
    if group_running(pgid):
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


@contextmanager
def running(
    name: str,
    command: Sequence[str],
    log_path: Path,
    ready_url: str,
    *,
    text: bytes = b"",
    any_status: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = START_TIMEOUT_S,
    interval: float = 0.2,
    grace: float = STOP_GRACE_S,
) -> Iterator[Service]:
    """`start`, `wait_ready`, yield the service, and stop it on exit whatever happened."""
    service = start(name, command, log_path, env=env)
    try:
        wait_ready(
            ready_url, service, text=text, any_status=any_status, timeout=timeout,
            interval=interval,
        )  # fmt: skip
        yield service
    finally:
        service.stop(grace)
