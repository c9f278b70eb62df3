"""The quality gate (TFX calls it blessing).

The exported SavedModel is loaded back from disk, not the Keras object, so the gate judges
exactly what the model server will load. It must reach an absolute floor and must not fall
more than `max_regression` percentage points below the best published version, every one
measured now on the same held-out data.
"""

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from export.run import HeldOut

DEFAULT_MIN_ACCURACY = 0.85  # well above chance (0.10); the linear model reaches ~0.9
DEFAULT_MAX_REGRESSION_PP = 0.5
# Accuracies are k/N fractions: without a tolerance, exactly 0.5 pp below would count as
# 0.5000000000000004 pp and be refused.
TOLERANCE_PP = 1e-9

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateResult:
    accuracy: float
    min_accuracy: float
    max_regression_pp: float
    measured_on: dict[str, Any]
    best_published_version: int | None = None
    best_published_accuracy: float | None = None
    refusals: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.refusals

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def saved_model_accuracy(saved_model_dir: Path, data: HeldOut) -> float:
    # TensorFlow is imported here so that `--list` and `--help` (which read the defaults
    # above) start instantly.
    import tensorflow as tf

    from export.signatures import predict_probabilities

    loaded = tf.saved_model.load(str(saved_model_dir))
    predicted = predict_probabilities(loaded, data.images).argmax(axis=1)
    return float(np.mean(predicted == data.labels))


def published_accuracies(versions: dict[int, Path], data: HeldOut) -> dict[int, float]:
    """Accuracy of each published version on `data`; an unloadable version is skipped, loudly."""
    accuracies = {}
    for version, directory in sorted(versions.items()):
        try:
            accuracies[version] = saved_model_accuracy(directory, data)
        except Exception as exc:  # a broken old version must not block every new export
            log.warning("version %d in %s not evaluated: %s", version, directory.parent, exc)
    return accuracies


def judge(
    accuracy: float,
    published: dict[int, float],
    data: HeldOut,
    min_accuracy: float = DEFAULT_MIN_ACCURACY,
    max_regression_pp: float = DEFAULT_MAX_REGRESSION_PP,
) -> GateResult:
    refusals = []
    if accuracy < min_accuracy:
        refusals.append(
            f"accuracy {accuracy:.4f} is below the minimum {min_accuracy:.4f} "
            f"(--min-accuracy) on {data.description['size']} held-out images"
        )
    best_version = max(published, key=lambda v: (published[v], v)) if published else None
    best = published[best_version] if best_version is not None else None
    regression_pp = None if best is None else (best - accuracy) * 100
    if regression_pp is not None and regression_pp > max_regression_pp + TOLERANCE_PP:
        refusals.append(
            f"accuracy {accuracy:.4f} is {regression_pp:.2f} percentage points below "
            f"published version {best_version} ({best:.4f}) on the same "
            f"{data.description['size']} held-out images; at most {max_regression_pp} allowed "
            "(--max-regression)"
        )
    return GateResult(
        accuracy=accuracy,
        min_accuracy=min_accuracy,
        max_regression_pp=max_regression_pp,
        measured_on=data.description,
        best_published_version=best_version,
        best_published_accuracy=best,
        refusals=refusals,
    )
