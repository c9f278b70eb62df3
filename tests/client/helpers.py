"""Helpers for the client tests: run `python -m client` as a user would, read its table."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.fixtures.models import run_module

SAMPLE_NAME = re.compile(r"^\d{3}-digit-(\d)\.(png|jpg)$")


def run_client(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run_module("client", *args, timeout=timeout)


def true_label(path: Path) -> int:
    match = SAMPLE_NAME.match(path.name)
    assert match, f"{path.name} is not named NNN-digit-D.ext"
    return int(match.group(1))


def recognized(rows: dict[str, list[str]], files: list[Path]) -> int:
    """How many of the sample `files` the table's answer column got right."""
    return sum(rows[path.name][0] == str(true_label(path)) for path in files)


def table_rows(output: str) -> dict[str, list[str]]:
    """The client's table as {file: [answer, confidence, version, status, note]}."""
    rows = {}
    for line in output.splitlines()[2:]:
        cells = [cell.strip() for cell in line.split(" | ")]
        rows[Path(cells[0]).name] = [*cells[1:], ""][:5]  # the note column may be absent
    return rows


def statuses(output: str) -> list[str]:
    """The status column, a row per file (table_rows keeps one row per file name)."""
    return [line.split(" | ")[4].strip() for line in output.splitlines()[2:]]
