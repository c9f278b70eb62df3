"""Helpers for the client tests: run `python -m client` as a user would, and free ports."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_NAME = re.compile(r"^\d{3}-digit-(\d)\.(png|jpg)$")


def run_client(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "client", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def true_label(path: Path) -> int:
    match = SAMPLE_NAME.match(path.name)
    assert match, f"{path.name} is not named NNN-digit-D.ext"
    return int(match.group(1))


def table_rows(output: str) -> dict[str, list[str]]:
    """The client's table as {file: [digit, confidence, version, note]}."""
    rows = {}
    for line in output.splitlines()[2:]:
        cells = [cell.strip() for cell in line.split(" | ")]
        rows[Path(cells[0]).name] = [*cells[1:], ""][:4]  # the note column may be absent
    return rows


def unused_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
