"""MNIST-C (Mu & Gilmer 2019) through the reader, the model and the judge, as /predict runs them.

    python -m benchmarks.mnist_c --data-dir DIR --model-dir models/mnist/1
    python -m benchmarks.mnist_c --data-dir DIR --model-dir models/mnist/1 --limit 500
    python -m benchmarks.mnist_c --data-dir DIR --model-dir M --corruptions fog,zigzag

DIR is in MNIST-C's published layout: DIR/<corruption>/test_images.npy (uint8
[n, 28, 28, 1]) and test_labels.npy, for `identity` and the fifteen corruptions. It is not
in this repository: it is the published dataset, or made with MNIST-C's own code
(google-research/mnist-c, corruptions.py) outside the project.

MNIST-C is a judge only: its images never enter training, and no threshold or parameter of
the reader, the judge or the model is chosen on its figures.

Each image is encoded as the 28×28 grey PNG a user would upload (the `plain` style of
reader/styles.py: light digit on black, as MNIST-C is), read by reader.reading, classified
by the SavedModel and judged by reader.judge.judge_all, with upload_accuracy's machinery
(Target.run, judge_files). Per corruption, as shares of its digits:

- right: the answer is `digit` or `uncertain` and the digit it gives (for `uncertain` the
  most likely, shown first) is the label, as upload_accuracy's answered_right. An
  `uncertain` whose runner-up is the label is wrong: the user is shown another digit first.
  A `number` is never right: one digit was uploaded. error = 1 - right (the issue's figure).
- uncertain, not_a_digit, number (misread as several digits): the answers' statuses;
  refused: the reader found no digit (a 422 at the gateway).
- model error: the model's argmax on the field the reader made of the file, ignoring the
  judge (a 28×28 upload is read as one digit, the image reader.preprocessing.preprocess
  gives; were it read as several, the one the model is surest of; refused: wrong, the model
  sees nothing); raw error: the model on the MNIST-C array itself, without the reader.

The mean over the fifteen corruptions (identity, the clean row, apart) is checked against the
issue's goals; the exit status is 1 when one is missed. `--limit N` measures each
corruption's first N digits; results go to .run/bench/mnist_c.json unless --output says where.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.output import add_output, progress, stop, write_json  # noqa: E402
from benchmarks.upload_accuracy import (  # noqa: E402
    Classifier,
    Target,
    judge_files,
    require_saved_model,
    saved_model_classifier,
)
from reader.judge import DIGIT, NOT_A_DIGIT, NUMBER, UNCERTAIN, Answer, per_reading  # noqa: E402
from reader.reading import Reading  # noqa: E402

# MNIST-C's names and order (corruptions.py, CORRUPTIONS); identity is the clean test set.
CLEAN = "identity"
CORRUPTIONS = (
    "shot_noise",
    "impulse_noise",
    "glass_blur",
    "motion_blur",
    "shear",
    "scale",
    "rotate",
    "brightness",
    "translate",
    "stripe",
    "fog",
    "spatter",
    "dotted_line",
    "zigzag",
    "canny_edges",
)
IMAGES, LABELS = "test_images.npy", "test_labels.npy"
UPLOAD_STYLE = "plain"  # the 28×28 grey PNG, light on black (reader/styles.py)
STATUSES = (DIGIT, UNCERTAIN, NOT_A_DIGIT, NUMBER, "refused")
# The goals for the `make demo` model over the fifteen corruptions.
GOAL_MEAN_ERROR = 0.10
GOAL_MAX_ERROR = 0.25
GOAL_MAX_NOT_A_DIGIT = 0.03


# --- the data ---------------------------------------------------------------------------------


def load_corruption(data_dir: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One corruption's images (uint8 [n, 28, 28]) and labels; a bad file stops the run."""
    paths = [data_dir / name / IMAGES, data_dir / name / LABELS]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        stop(f"no {missing[0]} (MNIST-C's layout: <--data-dir>/{name}/{IMAGES} and {LABELS})")
    images, labels = (np.load(p, allow_pickle=False) for p in paths)
    if images.dtype != np.uint8 or images.shape[1:] not in ((28, 28, 1), (28, 28)):
        stop(f"{paths[0]} is {images.dtype} {images.shape}, not uint8 [n, 28, 28, 1]")
    if labels.shape != (len(images),):
        stop(f"{paths[1]} holds {labels.shape} labels for {len(images)} images")
    return images.reshape(-1, 28, 28), labels.astype(np.int64)


def fingerprint(images: np.ndarray) -> str:
    """Which images were measured (the published MNIST-C or a remake): their bytes' sha256."""
    return hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()[:16]


# --- counting ---------------------------------------------------------------------------------


def status_of(answer: Answer | None) -> str:
    return "refused" if answer is None else answer.status


def tally(answers: Sequence[Answer | None], labels: np.ndarray) -> dict[str, int]:
    """Counts of each status and of the right answers (see the module's docstring)."""
    counts = {status: 0 for status in STATUSES}
    right = 0
    for answer, label in zip(answers, labels, strict=True):
        counts[status_of(answer)] += 1
        if answer is not None and answer.status in (DIGIT, UNCERTAIN):
            right += int(answer.digit == label)
    return {"right": right, **counts}


def measure(
    target: Target, classify: Classifier, images: np.ndarray, labels: np.ndarray
) -> dict[str, Any]:
    """One corruption's digits as uploads: the judge's answers and the model's own errors."""
    start = time.perf_counter()
    done = target.run(UPLOAD_STYLE, images, inputs=False)
    # A reading without digits is answered as a blank image is (the gateway's check_found).
    reads: list[Reading | None] = [
        r if r is not None and r.digits else None for d in done for r in d.reads or []
    ]
    counts = tally(judge_files(reads, classify), labels)
    count = len(labels)
    result: dict[str, Any] = {"digits": count, "counts": counts}
    result.update({status: counts[status] / count for status in ("right", *STATUSES)})
    result["error"] = 1 - result["right"]
    result["model_error"] = float(np.mean(model_digits(reads, classify) != labels))
    raw = classify(images.astype(np.float32) / 255.0)[0][:, :10].argmax(axis=1)
    result["raw_error"] = float(np.mean(raw != labels))
    result["seconds"] = time.perf_counter() - start
    return result


def model_digits(reads: Sequence[Reading | None], classify: Classifier) -> np.ndarray:
    """The model's own digit for each file, ignoring the judge: its argmax on the digit read
    (of several, the one it is surest of); -1 for a refused file."""
    found = [r for r in reads if r is not None]
    if not found:
        return np.full(len(reads), -1)
    probabilities = classify(np.concatenate([r.images()[..., 0] for r in found]))[0][:, :10]
    surest = iter(int(p.max(axis=0).argmax()) for p in per_reading(found, probabilities))
    return np.array([-1 if r is None else next(surest) for r in reads])


def mean_row(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    keys = ("right", *STATUSES, "error", "model_error", "raw_error")
    return {key: float(np.mean([row[key] for row in rows])) for key in keys}


def goal_rows(
    corruptions: dict[str, dict[str, Any]], mean: dict[str, float]
) -> list[dict[str, Any]]:
    worst = max(corruptions, key=lambda name: corruptions[name]["error"])
    flagged = max(corruptions, key=lambda name: corruptions[name][NOT_A_DIGIT])
    over = f"over {len(corruptions)} corruption(s)"
    return [
        {
            "goal": f"mean error ≤ {GOAL_MEAN_ERROR:.0%}",
            "measured": f"{mean['error']:.2%} {over}",
            "met": mean["error"] <= GOAL_MEAN_ERROR,
        },
        {
            "goal": f"no corruption's error over {GOAL_MAX_ERROR:.0%}",
            "measured": f"worst {worst} {corruptions[worst]['error']:.2%}",
            "met": corruptions[worst]["error"] <= GOAL_MAX_ERROR,
        },
        {
            "goal": f"not_a_digit on at most {GOAL_MAX_NOT_A_DIGIT:.0%} of any corruption",
            "measured": f"worst {flagged} {corruptions[flagged][NOT_A_DIGIT]:.2%}",
            "met": corruptions[flagged][NOT_A_DIGIT] <= GOAL_MAX_NOT_A_DIGIT,
        },
    ]


# --- the command ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="MNIST-C: <dir>/<corruption>/test_*.npy"
    )
    parser.add_argument("--model-dir", type=Path, required=True, help="a SavedModel version")
    parser.add_argument("--limit", type=int, help="first N digits of each corruption (all)")
    parser.add_argument(
        "--corruptions",
        default=",".join(CORRUPTIONS),
        help=f"comma-separated folder names (default: MNIST-C's fifteen); {CLEAN} is always "
        "measured",
    )
    parser.add_argument("--jobs", type=int, default=2, help="processes reading the files")
    add_output(parser, "mnist_c")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be at least 1, not {args.limit}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.data_dir.is_dir():
        stop(f"no MNIST-C directory at --data-dir {args.data_dir}")
    names = [CLEAN, *(n for n in args.corruptions.split(",") if n and n != CLEAN)]
    data = {name: load_corruption(args.data_dir, name) for name in names}  # all checked first
    require_saved_model(args.model_dir)
    started = time.perf_counter()
    classify = saved_model_classifier(args.model_dir)
    rows: dict[str, dict[str, Any]] = {}
    print_header()
    with ProcessPoolExecutor(args.jobs) as pool:
        target = Target(pool, classify, gateway=None, judging=True)
        for name, (images, labels) in data.items():
            progress(f"{name}: reading and judging {len(labels[: args.limit]):,} digits ...")
            rows[name] = measure(target, classify, images[: args.limit], labels[: args.limit])
            rows[name]["images_sha256"] = fingerprint(images)
            print_row(name, rows[name])
    clean = rows.pop(CLEAN)
    mean = mean_row(list(rows.values())) if rows else {}
    if rows:
        print_row(f"mean of {len(rows)}", mean)
    goals = goal_rows(rows, mean) if rows else []
    for row in goals:
        print(f"{'met ' if row['met'] else 'MISSED'} {row['goal']}: {row['measured']}")
    document = {
        "digits_per_corruption": clean["digits"],
        "upload": f"{UPLOAD_STYLE} 28×28 PNG, reader.reading + reader.judge",
        "clean": clean,
        "corruptions": rows,
        "mean": mean,
        "goals": goals,
        "goals_missed": [row["goal"] for row in goals if not row["met"]],
        "seconds": round(time.perf_counter() - started, 1),
        "jobs": args.jobs,
        "load_average_1min": round(os.getloadavg()[0], 2),  # others sharing the CPU
    }
    print(f"\n{document['seconds']:.0f} s with {args.jobs} processes")
    write_json(args.output, document)
    return 1 if document["goals_missed"] else 0


COLUMNS = ("right", UNCERTAIN, NOT_A_DIGIT, NUMBER, "refused", "model_error", "raw_error")
HEADINGS = ("right", "uncertain", "not_digit", "number", "refused", "model err", "raw err")


def print_header() -> None:
    print(f"{'corruption':<14}" + "".join(f"{h:>10}" for h in HEADINGS))


def print_row(name: str, row: dict[str, Any]) -> None:
    print(f"{name:<14}" + "".join(f"{row[key]:>10.2%}" for key in COLUMNS))


if __name__ == "__main__":
    sys.exit(main())
