"""A user's mistake or a target that is down: `python -m client` prints the message as one
line and exits with the code, never a traceback.

    UserError        a file cannot be read or written, a URL is malformed      exit 1
    └── Unreachable  nothing answers at the address given                      exit 2
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class UserError(Exception):
    exit_code = 1


class Unreachable(UserError):
    exit_code = 2


def read_files(paths: Sequence[Path]) -> list[tuple[Path, bytes]]:
    """Every file's bytes; the first one that cannot be read is a UserError naming it."""
    contents = []
    for path in paths:
        try:
            contents.append((path, path.read_bytes()))
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return contents
