"""Services: started in their own session with a log, ready when a URL answers, stopped as a
group; a clear error naming the log when one exits or never answers."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from processes.ports import free_port
from processes.service import (
    ServiceError,
    group_running,
    running,
    start,
    stop_group,
    wait_ready,
)

PYTHON = sys.executable


def http_server(port: int, directory: Path) -> list[str]:
    return [PYTHON, "-m", "http.server", "--bind", "127.0.0.1", "-d", str(directory), str(port)]


def test_running_waits_for_the_text_and_stops_the_group(tmp_path: Path) -> None:
    (tmp_path / "status").write_text("AVAILABLE")
    port = free_port()
    url = f"http://127.0.0.1:{port}/status"
    log = tmp_path / "web.log"
    with running("web", http_server(port, tmp_path), log, url, text=b"AVAILABLE") as service:
        assert service.running() and os.getpgid(service.pid) == service.pid
        pid = service.pid
    assert not group_running(pid)
    assert service.process is not None and service.process.returncode is not None
    assert "GET /status" in log.read_text()  # the service's output went to its log


def test_any_status_counts_an_error_answer(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/missing"
    with running("web", http_server(port, tmp_path), tmp_path / "web.log", url, any_status=True):
        pass


def test_a_service_that_exits_is_an_error_naming_its_log(tmp_path: Path) -> None:
    log = tmp_path / "broken.log"
    command = [PYTHON, "-c", "import sys; print('no config here'); sys.exit(3)"]
    service = start("broken", command, log)
    with pytest.raises(ServiceError) as error:
        wait_ready(f"http://127.0.0.1:{free_port()}/", service, timeout=30)
    assert error.value.summary.startswith("broken exited with code 3 before http://")
    assert str(log) in error.value.summary
    assert "no config here" in str(error.value)  # the log's tail


def test_a_service_that_never_answers_times_out(tmp_path: Path) -> None:
    log = tmp_path / "silent.log"
    service = start("silent", ["sleep", "60"], log)
    try:
        with pytest.raises(ServiceError, match=rf"did not answer within 1 s; see {log}"):
            wait_ready(f"http://127.0.0.1:{free_port()}/", service, timeout=1)
    finally:
        assert service.stop(grace=5) is not None
    assert not service.running()


def test_stop_group_kills_what_ignores_sigterm_after_the_grace(tmp_path: Path) -> None:
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ignoring SIGTERM', flush=True); time.sleep(60)"
    )
    service = start("stubborn", [PYTHON, "-c", stubborn], tmp_path / "stubborn.log")
    try:
        deadline = time.monotonic() + 30
        while "ignoring SIGTERM" not in service.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        stop_group(service.pid, grace=0.5)
        assert service.process is not None and service.process.wait(5) == -signal.SIGKILL
    finally:
        stop_group(service.pid, grace=0)
