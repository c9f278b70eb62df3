"""Numbers written with natural spacing: official test digits side by side, read as /predict
reads them, and whether any digit is lost silently.

    python -m benchmarks.spaced_numbers --model-dir models/mnist/1 --count 2000

Each number is 2 to 8 official MNIST test digits (picked at random, seeded) written the way
the digits were drawn: each digit's 28×28 cell placed beside the last with a gap of GAPS
pixels, a few to a quarter of a cell (so a narrow 1, centred in its cell, stands most of a
digit's width from its neighbours), on white paper with a margin, the page upscaled by one
of SCALES (bilinear) and sent as a PNG. Each file is read by the reader (reader.reading),
its digits classified by the SavedModel and judged (reader.judge.judge_all): what /predict
does. Per length it prints:

- read right: the answer is `number` with exactly the digits written;
- dropped: digits lost silently, neither read nor listed (a digit counts as listed when
  most of its ink lies inside the box of an entry of the answer's `digits` or `left_out`);
  the issue's goal is 0;
- refused: files the reader refused (a 422 at the gateway: not silent, but not read).

The goal (issue 22): numbers of 2 to 6 digits ≥ 95% read right, none dropped. The same
`--seed` and `--count` give the same files; results go to .run/bench/spaced_numbers.json unless
--output says where.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.output import add_output, progress, write_json  # noqa: E402
from benchmarks.upload_accuracy import (  # noqa: E402
    DEFAULT_DATA_DIR,
    answer_text,
    judge_files,
    official_digits,
    read_file,
    require_saved_model,
    saved_model_classifier,
)
from reader.judge import NUMBER, Answer  # noqa: E402
from reader.reading import Reading  # noqa: E402

LENGTHS = range(2, 9)
GOAL_LENGTHS = range(2, 7)
GOAL_READ = 0.95
CELL = 28
GAPS = (2, 7)  # pixels between cells (a quarter of a cell is 7), drawn uniformly
MARGIN = 14  # pixels of paper round the row, before upscaling
SCALES = (2, 3, 4)  # the page upscaled (bilinear): a 56 to 112 px digit cell
INK_LEVEL = 64  # of 255: a digit's pixels that count as its ink
LISTED_SHARE = 0.5  # of a digit's ink inside the boxes the answer gives: listed
CHUNK = 100


@dataclass(frozen=True)
class Written:
    """One number as a file, with where each digit's ink lies in the upload's pixels."""

    data: bytes
    text: str
    ink: tuple[np.ndarray, ...]  # per digit: [k, 2] (x, y) centres of its ink pixels


def write_number(
    digits: Sequence[np.ndarray], labels: Sequence[int], rng: np.random.Generator
) -> Written:
    """Digits (uint8 28×28, light on dark) side by side as a PNG of dark ink on white."""
    gaps = [int(rng.integers(GAPS[0], GAPS[1] + 1)) for _ in digits[1:]]
    width = 2 * MARGIN + CELL * len(digits) + sum(gaps)
    page = np.zeros((CELL + 2 * MARGIN, width), np.uint8)
    lefts = MARGIN + np.cumsum([0, *(CELL + g for g in gaps)])
    scale = int(rng.choice(SCALES))
    inks = []
    for digit, left in zip(digits, lefts, strict=True):
        area = page[MARGIN : MARGIN + CELL, left : left + CELL]
        np.maximum(area, digit, out=area)
        rows, cols = np.nonzero(digit >= INK_LEVEL)
        inks.append(np.stack([(cols + left + 0.5) * scale, (rows + MARGIN + 0.5) * scale], axis=1))
    image = Image.fromarray(255 - page).resize(
        (page.shape[1] * scale, page.shape[0] * scale), Image.Resampling.BILINEAR
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Written(buffer.getvalue(), "".join(map(str, labels)), tuple(inks))


def listed_boxes(answer: Answer) -> list[tuple[int, int, int, int]]:
    """Every box the answer names: its digits (read or stray) and the marks it left out."""
    return [d.box for d in answer.digits] + [mark.box for mark in answer.left_out]


def dropped(written: Written, answer: Answer | None) -> int:
    """Digits whose ink lies mostly outside every box the answer gives (none for a refusal:
    the user is told)."""
    if answer is None:
        return 0
    boxes = listed_boxes(answer)
    lost = 0
    for points in written.ink:
        inside = np.zeros(len(points), bool)
        for left, top, right, bottom in boxes:
            inside |= (
                (points[:, 0] >= left)
                & (points[:, 0] < right)
                & (points[:, 1] >= top)
                & (points[:, 1] < bottom)
            )
        lost += int(inside.mean() < LISTED_SHARE) if len(points) else 0
    return lost


def plan(count: int, labels: np.ndarray, seed: int) -> list[np.ndarray]:
    """Which test digits make each number: lengths in turn, digits at random (seeded)."""
    rng = np.random.default_rng(seed)
    lengths = [LENGTHS[i % len(LENGTHS)] for i in range(count)]
    return [rng.choice(len(labels), size=n, replace=False) for n in lengths]


def read_chunk(
    job: tuple[int, int, list[np.ndarray], list[list[int]]],
) -> tuple[list[Written], list[Reading | None]]:
    """Write and read one chunk of numbers (a worker process); its generator is seeded by the
    run's seed and the chunk's first number, so --jobs changes nothing."""
    seed, first, digits, labels = job
    rng = np.random.default_rng([seed, first])
    written = [write_number(list(d), lab, rng) for d, lab in zip(digits, labels, strict=True)]
    return written, [read_file(w.data) for w in written]


def measure(
    pool: ProcessPoolExecutor,
    classify: Any,
    images: np.ndarray,
    labels: np.ndarray,
    count: int,
    seed: int,
) -> dict[int, dict[str, Any]]:
    picks = plan(count, labels, seed)
    jobs = [
        (seed, start, [images[p] for p in part], [labels[p].tolist() for p in part])
        for start in range(0, count, CHUNK)
        for part in [picks[start : start + CHUNK]]
    ]
    written: list[Written] = []
    reads: list[Reading | None] = []
    for done, (w, r) in enumerate(pool.map(read_chunk, jobs), start=1):
        written += w
        reads += r
        progress(f"numbers: {min(done * CHUNK, count):,} of {count:,} written and read ...")
    answers = judge_files(reads, classify)
    results = {}
    for length in LENGTHS:
        mine = [i for i, w in enumerate(written) if len(w.ink) == length]
        if not mine:
            continue
        results[length] = summary([written[i] for i in mine], [answers[i] for i in mine])
    return results


def summary(written: list[Written], answers: list[Answer | None]) -> dict[str, Any]:
    right = [
        a is not None and a.status == NUMBER and answer_text(a) == w.text
        for w, a in zip(written, answers, strict=True)
    ]
    return {
        "numbers": len(written),
        "digits": sum(len(w.ink) for w in written),
        "read_right": float(np.mean(right)),
        "status_number": float(np.mean([a is not None and a.status == NUMBER for a in answers])),
        "dropped": sum(dropped(w, a) for w, a in zip(written, answers, strict=True)),
        "numbers_with_a_drop": sum(
            dropped(w, a) > 0 for w, a in zip(written, answers, strict=True)
        ),
        "refused": sum(a is None for a in answers),
    }


def totals(results: dict[int, dict[str, Any]], lengths: range) -> dict[str, Any]:
    rows = [results[n] for n in lengths if n in results]
    numbers = sum(r["numbers"] for r in rows)
    return {
        "numbers": numbers,
        "read_right": sum(r["read_right"] * r["numbers"] for r in rows) / max(numbers, 1),
        "dropped": sum(r["dropped"] for r in rows),
        "refused": sum(r["refused"] for r in rows),
    }


def print_table(results: dict[int, dict[str, Any]], goal: dict[str, Any]) -> None:
    heads = ("numbers", "read right", "status number", "dropped", "refused")
    print(f"{'digits':>6} " + " ".join(f"{h:>{max(8, len(h))}}" for h in heads))
    for length, row in results.items():
        print(
            f"{length:>6} {row['numbers']:>8,} {row['read_right']:>10.2%} "
            f"{row['status_number']:>13.2%} {row['dropped']:>8} {row['refused']:>8}"
        )
    print(
        f"{'2-6':>6} {goal['numbers']:>8,} {goal['read_right']:>10.2%} {'':>13} "
        f"{goal['dropped']:>8} {goal['refused']:>8}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="a SavedModel version")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="MNIST test IDX")
    parser.add_argument("--count", type=int, default=2000, help="numbers, lengths 2-8 in turn")
    parser.add_argument("--seed", type=int, default=0, help="which digits, gaps and scales")
    parser.add_argument("--jobs", type=int, default=2, help="processes writing and reading")
    add_output(parser, "spaced_numbers")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")
    require_saved_model(args.model_dir)
    images, labels = official_digits(args.data_dir, None)
    started = time.perf_counter()
    classify = saved_model_classifier(args.model_dir)
    with ProcessPoolExecutor(args.jobs) as pool:
        results = measure(pool, classify, images, labels, args.count, args.seed)
    goal = totals(results, GOAL_LENGTHS)
    print(f"{args.count:,} numbers of official test digits, gaps {GAPS[0]}-{GAPS[1]} px of 28")
    print_table(results, goal)
    met = goal["read_right"] >= GOAL_READ and goal["dropped"] == 0
    print(
        f"\n{'met ' if met else 'MISSED'} numbers of 2-6 digits ≥ {GOAL_READ:.0%} read right, "
        f"none dropped: {goal['read_right']:.2%}, {goal['dropped']} dropped"
    )
    document = {
        "count": args.count,
        "seed": args.seed,
        "gaps_px": list(GAPS),
        "scales": list(SCALES),
        "lengths": {str(n): row for n, row in results.items()},
        "goal_lengths_2_6": goal,
        "goal_met": met,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(args.output, document)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
