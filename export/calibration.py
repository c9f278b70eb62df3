"""The judge's calibration of a version, chosen at export on the version's own outputs.

The run's held-out validation digits (the gate's, export/run.py) are rendered in every upload
style of reader/styles.py and read by the reader exactly as uploads are (held_out_renders.py,
in worker processes); their digits go through the staged SavedModel's serving_default. Of
each file read, its most digit-like mark counts (a digit is answered from it). Then:

- `min_digit_score`: the highest threshold under which at most FLAGGED_SHARE of those files
  fall, so the judge answers `not_a_digit` to at most that share of real digits;
- `min_margin` (top probability minus the runner-up): the highest threshold under which at
  most UNCERTAIN_SHARE of the files answered fall, so the judge answers `uncertain` to at
  most that share of real digits, the ones the model is least sure of.

Never the official test set, never an outside judge (MNIST-C): the run's own validation split.
The two numbers become outputs of the version's signature (export/signatures.py) and its
metadata records how they were chosen, with the figures they give on the renders.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from contract.model import DIGIT_SCORE, INPUT_NAME, PROBABILITIES, SERVING_DEFAULT
from export.errors import ExportError
from export.held_out_renders import DIGITS_PER_STYLE, read_styled
from export.run import HeldOut
from reader.judge import Calibration
from reader.reading import Reading
from reader.styles import DIGIT_STYLES

# The share of real digits the judge may refuse: the rule the hand-set MIN_DIGIT_SCORE was
# chosen by (0.5%), half the goal of < 1%, as the official test digits were refused about 1.4
# times as often as the validation digits it was chosen on.
FLAGGED_SHARE = 0.005
# The share of real digits answered `uncertain`, those the model is least sure of: 1 in 50.
# With the demo's CNN, the hand-set margin 0.4 made 1.6% of the 3,000 styled validation digits
# uncertain (the digits answered 99.0% right, the uncertain ones 66%); 2% gives 0.49 (99.15%
# and 66%), 1% 0.29 (98.9%), 5% 0.89 (99.8%).
UNCERTAIN_SHARE = 0.02
JOBS = 2
CHUNK = 50  # files per worker task
BATCH = 512  # rows per call of the signature


@dataclass(frozen=True)
class Measured:
    """The model's outputs for each styled file read: its most digit-like mark's."""

    scores: np.ndarray  # float [n]: digit_score
    margins: np.ndarray  # float [n]: top probability minus the runner-up
    right: np.ndarray  # bool [n]: its top digit is the file's digit
    files: int  # files rendered, read or refused


@dataclass(frozen=True)
class Calibrated:
    calibration: Calibration
    record: dict[str, Any]  # for metadata.json: the values, the rule, the figures


def threshold_for(values: np.ndarray, share: float) -> float:
    """The highest threshold with at most `share` of `values` strictly under it."""
    if not len(values):
        raise ExportError("calibration: no held-out render was read as a digit")
    ordered = np.sort(values)
    return float(ordered[int(np.floor(share * len(ordered)))])


def choose(measured: Measured) -> tuple[Calibration, dict[str, float]]:
    """The calibration by the two rules above, and what it gives on the renders."""
    min_score = threshold_for(measured.scores, FLAGGED_SHARE)
    answered = measured.scores >= min_score
    min_margin = threshold_for(measured.margins[answered], UNCERTAIN_SHARE)
    digit = answered & (measured.margins >= min_margin)
    uncertain = answered & ~digit
    figures = {
        "files": measured.files,
        "read": len(measured.scores),
        "not_a_digit": float(np.mean(~answered)),
        "uncertain": float(np.mean(uncertain)),
        "digit": float(np.mean(digit)),
        "digit_right": float(np.mean(measured.right[digit])) if digit.any() else 0.0,
        "uncertain_right": float(np.mean(measured.right[uncertain])) if uncertain.any() else 0.0,
    }
    return Calibration(min_score, min_margin), figures


def styled_readings(
    digits: np.ndarray, per_style: int, jobs: int = JOBS
) -> tuple[list[Reading | None], np.ndarray]:
    """`per_style` of `digits` (uint8 [N, 28, 28]) in each style, read; and which digit each
    file shows (style after style, each starting where the last one stopped)."""
    per_style = min(per_style, len(digits))
    jobs_list, shown = [], []
    for number, style in enumerate(DIGIT_STYLES):
        picked = (number * per_style + np.arange(per_style)) % len(digits)
        shown.append(picked)
        for start in range(0, per_style, CHUNK):
            jobs_list.append((style, int(picked[start]), digits[picked[start : start + CHUNK]]))
    # Spawned workers: this process has TensorFlow's threads running; the workers need none.
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        readings = [r for chunk in pool.map(read_styled, jobs_list) for r in chunk]
    return readings, np.concatenate(shown)


def measure(saved_model_dir: Path, readings: list[Reading | None], labels: np.ndarray) -> Measured:
    """The SavedModel's serving_default on every read file's digits; each file's best mark."""
    import tensorflow as tf

    found = [(r, label) for r, label in zip(readings, labels, strict=True) if r is not None]
    images = np.concatenate([r.images() for r, _ in found]) if found else np.zeros((0, 28, 28, 1))
    signature = tf.saved_model.load(str(saved_model_dir)).signatures[SERVING_DEFAULT]
    outputs = [
        signature(**{INPUT_NAME: tf.constant(images[start : start + BATCH], tf.float32)})
        for start in range(0, len(images), BATCH)
    ]
    probabilities = np.concatenate([o[PROBABILITIES].numpy() for o in outputs] or [[]])
    scores = np.concatenate([o[DIGIT_SCORE].numpy() for o in outputs] or [[]])
    best_scores, margins, right = [], [], []
    start = 0
    for reading, label in found:
        rows = slice(start, start + len(reading.digits))
        start = rows.stop
        best = rows.start + int(np.argmax(scores[rows]))
        top_two = np.sort(probabilities[best])[::-1][:2]
        best_scores.append(scores[best])
        margins.append(top_two[0] - top_two[1])
        right.append(int(np.argmax(probabilities[best])) == int(label))
    return Measured(
        np.asarray(best_scores, np.float64),
        np.asarray(margins, np.float64),
        np.asarray(right, bool),
        len(readings),
    )


def calibrate(
    saved_model_dir: Path, data: HeldOut, per_style: int = DIGITS_PER_STYLE
) -> Calibrated:
    """The calibration of the SavedModel in `saved_model_dir`, measured on `data` rendered."""
    started = time.perf_counter()
    digits = np.rint(data.images[..., 0] * 255).astype(np.uint8)
    readings, shown = styled_readings(digits, per_style)
    measured = measure(saved_model_dir, readings, data.labels[shown])
    calibration, figures = choose(measured)
    record = {
        "min_digit_score": calibration.min_digit_score,
        "min_margin": calibration.min_margin,
        "rule": {
            "min_digit_score": f"the highest under which at most {FLAGGED_SHARE:.1%} of the "
            "styled held-out digits fall (each file's most digit-like mark)",
            "min_margin": "top probability minus the runner-up; the highest under which at "
            f"most {UNCERTAIN_SHARE:.1%} of the styled held-out digits answered fall",
            "flagged_share": FLAGGED_SHARE,
            "uncertain_share": UNCERTAIN_SHARE,
        },
        "measured_on": {
            **data.description,
            "styles": list(DIGIT_STYLES),
            "digits_per_style": min(per_style, len(digits)),
        },
        "figures": figures,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return Calibrated(calibration, record)
