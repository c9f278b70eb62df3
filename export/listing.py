"""`python -m export --list`: the published versions and their metadata, as a table.

Deliberately free of TensorFlow so that listing is instant.
"""

from pathlib import Path
from typing import Any

from contract.versions import STAGING_PREFIX, version_dirs
from export.metadata import read_metadata

COLUMNS = ("version", "created", "model", "data", "accuracy", "measured on", "gate", "sha256")
MISSING = "-"


def _gate(metadata: dict[str, Any]) -> str:
    passed = metadata.get("gate", {}).get("passed")
    if passed is None:
        return MISSING
    label = "passed" if passed else "refused"
    return f"{label} (forced)" if metadata.get("forced") else label


def _row(version: int, metadata: dict[str, Any] | None) -> tuple[str, ...]:
    if metadata is None:
        return (str(version), *[MISSING] * (len(COLUMNS) - 2), "(no metadata)")
    data = metadata.get("data", {})
    evaluation = metadata.get("evaluation", {})
    measured = evaluation.get("measured_on", {})
    accuracy = evaluation.get("accuracy")
    return (
        str(version),
        str(metadata.get("created_at", MISSING)),
        str(metadata.get("model", MISSING)),
        f"{data.get('source', MISSING)} {data.get('train_size', MISSING)} train",
        MISSING if accuracy is None else f"{accuracy * 100:.2f}%",
        f"{measured.get('split', MISSING)} ({measured.get('size', MISSING)})",
        _gate(metadata),
        str(metadata.get("saved_model_sha256", MISSING))[:12],
    )


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [COLUMNS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def _staging_note(base: Path) -> str:
    # A killed export leaves its staging folder behind; publish never deletes another
    # process's folder, as that export may still be running.
    staging = sorted(e.name for e in base.iterdir() if e.name.startswith(STAGING_PREFIX))
    if not staging:
        return ""
    return (
        "\n\nstaging folders (an export in progress, or left by a killed one; "
        f"safe to delete when no export runs): {', '.join(staging)}"
    )


def version_table(model_base_path: str | Path) -> str:
    base = Path(model_base_path)
    versions = sorted(version_dirs(base).items())
    if not versions:
        return f"no published versions in {base}"
    rows = [_row(version, read_metadata(path)) for version, path in versions]
    return format_table(rows) + _staging_note(base)
