"""/proc as processes.proc reads it: this process, a child, a zombie, a process group."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from processes import proc

pytestmark = pytest.mark.skipif(not proc.available(), reason="needs Linux's /proc")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own process group that sleeps until killed."""
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield child
    child.kill()
    child.wait()


def test_stat_of_this_process() -> None:
    me = proc.stat(os.getpid())
    assert me is not None
    assert (me.pid, me.ppid, me.pgid) == (os.getpid(), os.getppid(), os.getpgrp())
    assert me.state in "RS" and me.cpu_seconds > 0
    assert proc.cpu_seconds(os.getpid()) >= me.cpu_seconds


def test_no_such_process() -> None:
    nobody = 2**22 + 1  # above the largest pid_max Linux allows
    assert proc.stat(nobody) is None
    assert proc.command_line(nobody) == ""
    with pytest.raises(ProcessLookupError):
        proc.cpu_seconds(nobody)


def test_a_child_its_group_and_its_command_line(sleeper: subprocess.Popen[bytes]) -> None:
    assert sleeper.pid in proc.children(os.getpid())
    assert proc.command_line(sleeper.pid) == "sleep 60"
    assert proc.group_running(sleeper.pid)
    assert proc.group_cpu_seconds(sleeper.pid) >= 0
    assert proc.rss_mib(sleeper.pid) > 0


def test_an_unreaped_child_is_a_zombie_and_its_group_not_running() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    deadline = time.monotonic() + 30
    while not proc.is_zombie(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # not reaped: poll() and wait() would reap it
    assert proc.is_zombie(child.pid)
    assert not proc.group_running(child.pid)
    child.wait()
    assert proc.stat(child.pid) is None


def test_maps_lists_loaded_libraries() -> None:
    assert proc.maps_library(os.getpid(), "libc")
    assert not proc.maps_library(os.getpid(), "libnothing-such")
