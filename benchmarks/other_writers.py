"""Digits of another writer population at low resolution, read as /predict reads them: a judge
from outside, never trained or tuned on.

    python -m benchmarks.other_writers --model-dir models/mnist/1

The digits are scikit-learn's `load_digits` (1,797 digits of 43 writers, the UCI "optical
recognition of handwritten digits" set: 32×32 bitmaps counted in 4×4 blocks, so 8×8 with 17
grey levels; shipped inside scikit-learn, no download). Each is made an upload as a scan of it
would be: grey levels 0..16 to 0..255, upscaled to SIZES with NEAREST (the blocks a low
resolution scan shows) or BILINEAR (a viewer's smoothing), in two polarities: dark ink on
white paper (what a scan or a photo of paper gives: the upload people send) and light on
dark (the dataset's own storage, as MNIST's files are), sent as a PNG. 32 px pages are under
the reader's SMALL_SIDE (taken whole, as MNIST's); 64 px pages go through the page analysis.
Each file is read (reader.reading), classified by the SavedModel and judged
(reader.judge.judge_all). Per variant it prints the share answered `digit` with the right
digit (right), `uncertain` (and among them the top digit right), `number`, `not_a_digit`
and refused; the issue's goal is right ≥ 90%. Results go to .run/bench/other_writers.json
unless --output says where.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.output import add_output, progress, stop, write_json  # noqa: E402
from benchmarks.upload_accuracy import (  # noqa: E402
    judge_files,
    read_file,
    require_saved_model,
    saved_model_classifier,
)
from reader.judge import DIGIT, NOT_A_DIGIT, NUMBER, UNCERTAIN, Answer  # noqa: E402

SIZES = (32, 64)
RESAMPLING = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR}
POLARITIES = ("dark_on_white", "light_on_dark")
LEVELS = 16  # load_digits' grey levels run 0..16
GOAL_RIGHT = 0.90


def load_other_writers() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: float [n, 8, 8] in 0..16, and their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        stop("scikit-learn is missing: it comes with the project's tf extra (mlxtend)")
    digits = load_digits()
    return digits.images, digits.target


def upload(digit: np.ndarray, size: int, resampling: str, polarity: str) -> bytes:
    """One 8×8 digit as the PNG file a low-resolution scan of it makes."""
    light = np.round(np.clip(digit, 0, LEVELS) * 255 / LEVELS).astype(np.uint8)
    pixels = 255 - light if polarity == "dark_on_white" else light
    image = Image.fromarray(pixels).resize((size, size), RESAMPLING[resampling])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def variants() -> list[tuple[int, str, str]]:
    return [(s, r, p) for s in SIZES for r in RESAMPLING for p in POLARITIES]


def variant_name(size: int, resampling: str, polarity: str) -> str:
    return f"{size}px {resampling} {polarity}"


def tally(answers: list[Answer | None], labels: np.ndarray) -> dict[str, Any]:
    """Shares of the answers: right digit, uncertain (and its top digit right), number,
    not_a_digit, wrong digit, refused."""
    count = len(labels)

    def share(test: Any) -> float:
        return sum(1 for a, y in zip(answers, labels, strict=True) if test(a, y)) / count

    return {
        "digits": count,
        "right": share(lambda a, y: a is not None and a.status == DIGIT and a.digit == y),
        "uncertain": share(lambda a, y: a is not None and a.status == UNCERTAIN),
        "uncertain_top_right": share(
            lambda a, y: a is not None and a.status == UNCERTAIN and a.digit == y
        ),
        "number": share(lambda a, y: a is not None and a.status == NUMBER),
        "not_a_digit": share(lambda a, y: a is not None and a.status == NOT_A_DIGIT),
        "wrong_digit": share(lambda a, y: a is not None and a.status == DIGIT and a.digit != y),
        "refused": share(lambda a, y: a is None),
    }


def measure(classify: Any, images: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, Any]]:
    results = {}
    for size, resampling, polarity in variants():
        name = variant_name(size, resampling, polarity)
        progress(f"{name}: reading {len(labels):,} digits ...")
        reads = [read_file(upload(d, size, resampling, polarity)) for d in images]
        results[name] = tally(judge_files(reads, classify), labels)
    return results


def print_table(results: dict[str, dict[str, Any]]) -> None:
    columns = ("right", "uncertain", "number", "not_a_digit", "wrong_digit", "refused")
    print(f"{'variant':<30}" + "".join(f"{c:>12}" for c in columns))
    for name, row in results.items():
        print(f"{name:<30}" + "".join(f"{row[c]:>12.2%}" for c in columns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="a SavedModel version")
    parser.add_argument("--limit", type=int, help="the first N digits only (default: all 1,797)")
    add_output(parser, "other_writers")
    args = parser.parse_args(argv)
    require_saved_model(args.model_dir)
    images, labels = load_other_writers()
    images, labels = images[: args.limit], labels[: args.limit]
    started = time.perf_counter()
    classify = saved_model_classifier(args.model_dir)
    results = measure(classify, images, labels)
    print(f"{len(labels):,} digits of scikit-learn's load_digits (8×8, 17 levels), upscaled")
    print_table(results)
    worst = min(results, key=lambda name: results[name]["right"])
    mean = float(np.mean([row["right"] for row in results.values()]))
    met = results[worst]["right"] >= GOAL_RIGHT
    print(
        f"\n{'met ' if met else 'MISSED'} right ≥ {GOAL_RIGHT:.0%} in every variant: "
        f"worst {worst} {results[worst]['right']:.2%}, mean {mean:.2%}"
    )
    document = {
        "digits": len(labels),
        "source": "sklearn.datasets.load_digits",
        "variants": results,
        "mean_right": mean,
        "worst": worst,
        "goal_met": met,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(args.output, document)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
