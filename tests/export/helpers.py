"""Helpers for the export tests: private copies of the published base path, degraded runs."""

import shutil
from pathlib import Path

import numpy as np

from export.run import HeldOut


def copy_base_path(published_model: Path, tmp_path: Path) -> Path:
    """A writable copy of the session's read-only model base path."""
    base = tmp_path / "models" / "mnist"
    shutil.copytree(published_model, base)
    return base


def untrained_run(trained_run: Path, tmp_path: Path) -> Path:
    """A copy of `trained_run` whose model is a fresh, untrained one (about 10% accurate)."""
    from training.models import build_model

    run_dir = tmp_path / "runs" / "untrained"
    shutil.copytree(trained_run, run_dir)
    (run_dir / "model.keras").unlink()
    build_model("linear").save(run_dir / "model.keras")
    return run_dir


def staging_folders(base: Path) -> list[Path]:
    return [entry for entry in base.iterdir() if not entry.name.isdigit()]


def held_out(size: int = 500) -> HeldOut:
    """Stand-in held-out data for the pure gate logic (its arrays are never read)."""
    return HeldOut(
        images=np.zeros((size, 28, 28, 1), np.float32),
        labels=np.zeros(size, np.int64),
        description={"split": "validation", "size": size},
    )
