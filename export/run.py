"""Reading a training run directory (runs/NAME/, written by `python -m training`)."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from contract.run_dir import EVALUATION_FILE, MODEL_FILE, RUN_FILE
from export.errors import RunDirError


@dataclass(frozen=True)
class TrainingRun:
    directory: Path
    info: dict[str, Any]  # run.json
    evaluation: dict[str, Any]  # evaluation.json

    @property
    def model_path(self) -> Path:
        return self.directory / MODEL_FILE


@dataclass(frozen=True)
class HeldOut:
    """The held-out validation data the gate evaluates on, as model input."""

    images: np.ndarray  # float32 [N, 28, 28, 1], 0..1
    labels: np.ndarray  # int64 [N]
    description: dict[str, Any]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise RunDirError(
            f"{path}: missing (is this a run directory of `python -m training`?)"
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path}: unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise RunDirError(f"{path}: expected a JSON object")
    return data


def read_run(run_dir: str | Path) -> TrainingRun:
    directory = Path(run_dir)
    if not directory.is_dir():
        raise RunDirError(f"{directory}: run directory not found")
    run = TrainingRun(
        directory, _read_json(directory / RUN_FILE), _read_json(directory / EVALUATION_FILE)
    )
    if not run.model_path.is_file():
        raise RunDirError(f"{run.model_path}: missing")
    for key in ("model", "dataset", "params"):
        if key not in run.info:
            raise RunDirError(f"{directory / RUN_FILE}: missing key {key!r}")
    return run


def held_out_data(run: TrainingRun) -> HeldOut:
    """Rebuild the run's validation split: same source, directory and seed as training used."""
    from training.data import DataError, load_mnist, to_model_input

    dataset, seed = run.info["dataset"], int(run.info["params"]["seed"])
    try:
        data = load_mnist(dataset["source"], dataset.get("data_dir"), seed)
    except DataError as exc:
        raise RunDirError(f"cannot rebuild the validation data of {run.directory}: {exc}") from exc
    split = data.validation
    description = {
        "split": "validation",
        "source": data.source,
        "description": data.description,
        "size": len(split.labels),
        "seed": seed,
    }
    return HeldOut(to_model_input(split.images), split.labels.astype(np.int64), description)
