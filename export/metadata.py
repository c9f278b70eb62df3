"""Version metadata: <N>/assets.extra/metadata.json (what was trained, on what, how well)."""

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contract.model import MODEL_NAME
from contract.project import project_version
from contract.versions import EXTRAS_DIR, METADATA_FILE

SAVED_MODEL_FILE = "saved_model.pb"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def metadata_path(version_dir: Path) -> Path:
    return version_dir / EXTRAS_DIR / METADATA_FILE


def build_metadata(
    *,
    version: int,
    run_info: dict[str, Any],
    run_evaluation: dict[str, Any],
    run_dir: Path,
    gate: dict[str, Any],
    calibration: dict[str, Any],
    forced: bool,
    saved_model_dir: Path,
) -> dict[str, Any]:
    return {
        "version": version,
        "model_name": MODEL_NAME,
        "model": run_info.get("model"),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "project_version": project_version(),
        "run": _run_record(run_dir, run_info),
        "data": _data_record(run_info),
        "params": run_info.get("params", {}),
        # The exported SavedModel, measured by the gate; and the training report's figure.
        "evaluation": {"accuracy": gate["accuracy"], "measured_on": gate["measured_on"]},
        "training_evaluation": {
            "accuracy": run_evaluation.get("accuracy"),
            "measured_on": run_evaluation.get("measured_on"),
        },
        "gate": gate,
        # The judge's limits for this version, also outputs of its signature: how chosen.
        "calibration": calibration,
        "forced": forced,
        "saved_model_sha256": sha256_file(saved_model_dir / SAVED_MODEL_FILE),
    }


def _run_record(run_dir: Path, run_info: dict[str, Any]) -> dict[str, Any]:
    """Which training run this version comes from, and when it ran."""
    return {
        "name": run_dir.name,
        "started_at": run_info.get("started_at"),
        "finished_at": run_info.get("finished_at"),
        "project_version": run_info.get("project_version"),
    }


def _data_record(run_info: dict[str, Any]) -> dict[str, Any]:
    """What the run was trained and validated on."""
    dataset = run_info.get("dataset", {})
    return {
        key: dataset.get(key) for key in ("source", "description", "train_size", "validation_size")
    }


def write_metadata(version_dir: Path, metadata: dict[str, Any]) -> Path:
    path = metadata_path(version_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n")
    return path


def read_metadata(version_dir: Path) -> dict[str, Any] | None:
    """The metadata of a published version, or None when it has none (or it is unreadable)."""
    try:
        data = json.loads(metadata_path(version_dir).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
