"""What every benchmark shares with a user: `--output` (default under .run/bench/, ignored by
git; the tracked benchmarks/results/ only when asked), progress on stderr, and a stop in
one line when the system under test is not there."""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from client import report
from client.report import RESULTS_DIR
from client.session import status

__all__ = ["RESULTS_DIR", "add_output", "progress", "reachable", "stop", "write_json"]

EXIT_DOWN = 2  # as `python -m client`: nothing answers where the user pointed


def add_output(parser: argparse.ArgumentParser, name: str) -> None:
    """--output, a path without suffix (the benchmark adds .json, .png)."""
    default = RESULTS_DIR / name
    parser.add_argument(
        "--output",
        type=Path,
        default=default,
        help=f"results file(s), suffix added (default: {default}; "
        f"benchmarks/results/{name} updates the published figures)",
    )


def write_json(output: Path, document: Mapping[str, Any]) -> Path:
    path = output.with_suffix(".json")
    report.write_json(path, document)
    print(f"wrote {path}")
    return path


def progress(text: str) -> None:
    """A line of progress on stderr (overwritten on a terminal)."""
    status(text + "\n")


def reachable(host_port: str, timeout: float = 3.0) -> bool:
    """Whether something accepts TCP connections at HOST:PORT (a URL's or a gRPC target's)."""
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout).close()
    except (OSError, ValueError):
        return False
    return True


def stop(message: str, code: int = 1) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)
