"""The audit log: one JSON object per decision, appended beside the state
(rollout-audit.jsonl), with the figures that drove it. Operators' commands and the guard's
checks alike; `status` shows the guard's last one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from contract.rollout import AUDIT_FILE, utc_now

GUARD = "guard"
OPERATOR = "operator"


def append(config_dir: str | Path, by: str, action: str, **details: Any) -> dict[str, Any]:
    """Appends one record (one write of one line, so concurrent writers do not interleave)."""
    record = {"time": utc_now(), "by": by, "action": action, **details}
    line = json.dumps(record, sort_keys=False) + "\n"
    fd = os.open(Path(config_dir) / AUDIT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return record


def records(config_dir: str | Path) -> list[dict[str, Any]]:
    """Every readable record, oldest first (a torn last line is skipped)."""
    try:
        lines = (Path(config_dir) / AUDIT_FILE).read_text().splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return found


def last(config_dir: str | Path, by: str) -> dict[str, Any] | None:
    return next((r for r in reversed(records(config_dir)) if r.get("by") == by), None)
