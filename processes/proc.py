"""What Linux's /proc says about processes: one parser of /proc/PID/stat and its users.

Every function answers for the moment it reads: a process may end right after.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
ZOMBIE = "Z"  # exited, not yet reaped by its parent


@dataclass(frozen=True)
class Stat:
    """The fields of /proc/PID/stat that we use."""

    pid: int
    state: str  # R, S, D, Z, T, ...
    ppid: int
    pgid: int
    cpu_seconds: float  # user + system, all threads


def available() -> bool:
    """Whether this machine has a /proc to read (Linux)."""
    return (PROC / "self" / "stat").exists()


def stat(pid: int) -> Stat | None:
    """The process's /proc/PID/stat, or None if there is no such process (or no /proc)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces and ")": split after the last one.
    fields = text.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return Stat(
        pid=pid,
        state=fields[0],
        ppid=int(fields[1]),
        pgid=int(fields[2]),
        cpu_seconds=(int(fields[11]) + int(fields[12])) / ticks,
    )


def all_stats() -> Iterator[Stat]:
    """Every process's stat; those that end while we look are skipped."""
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (found := stat(int(entry.name))) is not None:
            yield found


def is_zombie(pid: int) -> bool:
    found = stat(pid)
    return found is not None and found.state == ZOMBIE


def command_line(pid: int) -> str:
    """The process's arguments joined by spaces; empty if it has ended (or just started)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    found = stat(pid)
    if found is None:
        raise ProcessLookupError(f"no process {pid}")
    return found.cpu_seconds


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every live process in a process group."""
    return sum(s.cpu_seconds for s in all_stats() if s.pgid == pgid)


def group_running(pgid: int) -> bool:
    """Whether a process of the group is still running (zombies do not count)."""
    return any(s.pgid == pgid and s.state != ZOMBIE for s in all_stats())


def children(pid: int) -> list[int]:
    return [s.pid for s in all_stats() if s.ppid == pid]


def rss_mib(pid: int) -> float:
    """Resident memory (VmRSS) in MiB; NaN for a process without one (a zombie)."""
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def maps_library(pid: int, name: str) -> bool:
    """Whether a file whose path contains `name` is mapped into the process (a loaded .so)."""
    return name in (PROC / str(pid) / "maps").read_text()
