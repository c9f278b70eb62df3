"""Accuracy on real-looking uploads: all 10,000 official MNIST test digits in each upload style,
numbers of 2 to 6 of them, and generated images that are not digits.

    python -m benchmarks.upload_accuracy --model-dir models/mnist/1
    python -m benchmarks.upload_accuracy --gateway http://localhost:8000   # through /predict
    python -m benchmarks.upload_accuracy --model-dir models/mnist/1 --limit 1000   # quick

Each test digit is rendered as a file in each style of reader/styles.py (the plain 28×28 PNG,
phone photos with uneven light, shadows, noise and blur, thick and thin pens, lined and
squared paper, coloured ink, scans and other resolutions, ...), preprocessed by
reader/preprocessing.py and classified by the SavedModel in this process (or sent to a
running gateway's /predict in batches). It prints, per style, the accuracy and its difference
to plain PNGs of the same digits (the issue's goal: within 1 point).

With a reader and a judge in the contract (reader/reading.py, reader/judge.py) it also
measures, in process: numbers of 2 to 6 test digits side by side (read right, per length;
goal ≥ 95% for 4 digits), generated non-digits (scribbles, noise, letters, photos of other
things) flagged `not_a_digit` (goal ≥ 90%), and real digits of every style flagged (goal
< 1%). Until they exist it says "not measured". Rendering and preprocessing run in `--jobs`
processes, every file from a seeded generator (the same files on every run; `--draw K`
seeds another set, to see how much a figure owes to the random sizes, places and pens).
`--limit N` measures the first N digits only; results go to .run/bench/upload_accuracy.json
unless --output says where. The exit status is 1 when a measured goal is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.output import EXIT_DOWN, add_output, progress, reachable, stop, write_json  # noqa: E402
from contract.digits import DataError, load_test_set  # noqa: E402
from contract.model import DIGIT_SCORE, PROBABILITIES  # noqa: E402
from reader.judge import NOT_A_DIGIT, NUMBER, Answer, Calibration, judge_all  # noqa: E402
from reader.preprocessing import ImageError, preprocess  # noqa: E402
from reader.reading import Reading, read  # noqa: E402
from reader.styles import (  # noqa: E402
    DIGIT_STYLES,
    NON_DIGITS,
    NUMBER_LENGTHS,
    NUMBER_STYLES,
    render,
    render_non_digit,
    render_number,
)

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist-test"
BASELINE_STYLE = "plain"
GOAL_POINTS = 1.0  # each style within 1 point of plain PNGs
GOAL_NUMBER_LENGTH, GOAL_NUMBER_READ = 4, 0.95
GOAL_NON_DIGITS_FLAGGED = 0.90
GOAL_DIGITS_FLAGGED = 0.01
CHUNK = 250
GATEWAY_BATCH = 32
BLANK = np.zeros((28, 28), np.float32)  # the input of a file preprocessing refused


# --- the reader and judge of the contract ------------------------------------------------------


def read_file(data: bytes) -> Reading | None:
    """What the reader makes of one file; None when it is refused (a blank is a 422)."""
    try:
        return read(data)
    except ImageError:
        return None


def answer_text(answer: Answer | None) -> str | None:
    """The digits an answer gives (a digit or a number), None for not_a_digit or a refusal."""
    if answer is None or answer.status == NOT_A_DIGIT:
        return None
    if answer.status == NUMBER:
        return str(answer.number)
    return str(answer.digit)


# --- work in the worker processes ---------------------------------------------------------------


def chunk_rng(kind: str, index: int, draw: int = 0) -> np.random.Generator:
    """One generator per (style, chunk): the same files whatever --jobs or --styles say.
    Another `draw` gives the same digits other sizes, places, pens and papers."""
    seed = [zlib.crc32(kind.encode()), index] + ([draw] if draw else [])
    return np.random.default_rng(seed)


def model_input(data: bytes) -> np.ndarray:
    try:
        return preprocess(data)
    except ImageError:
        return BLANK  # counted as wrong: the model sees nothing


@dataclass(frozen=True)
class Task:
    kind: str  # a digit style, a number style or a non-digit kind
    index: int  # the chunk's number, seeds its generator
    images: np.ndarray  # digits [n, 28, 28] (or [n, length, 28, 28] for numbers); [n] dummies
    files: bool  # send the files back (for the gateway)
    inputs: bool  # preprocess each file for the model
    reads: bool  # run the reader on each file
    draw: int = 0  # see chunk_rng


@dataclass(frozen=True)
class Done:
    files: list[bytes] | None
    inputs: np.ndarray | None
    reads: list[Reading | None] | None


def render_task(task: Task) -> list[bytes]:
    rng = chunk_rng(task.kind, task.index, task.draw)
    if task.kind in NUMBER_STYLES:
        return [render_number(list(digits), task.kind, rng) for digits in task.images]
    if task.kind in NON_DIGITS:
        return [render_non_digit(task.kind, rng) for _ in task.images]
    return [render(digit, task.kind, rng) for digit in task.images]


def run_task(task: Task) -> Done:
    files = render_task(task)
    return Done(
        files if task.files else None,
        np.stack([model_input(f) for f in files]) if task.inputs else None,
        [read_file(f) for f in files] if task.reads else None,
    )


def chunks(items: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- classifying ------------------------------------------------------------------------------


# inputs [n, 28, 28] -> probabilities [n, 10], and digit_score [n] and the version's
# calibration when the model has them
Classified = tuple[np.ndarray, np.ndarray | None, Calibration | None]
Classifier = Callable[[np.ndarray], Classified]


def saved_model_classifier(model_dir: Path) -> Classifier:
    from training.quiet import import_tensorflow

    tf = import_tensorflow()
    serving_fn = tf.saved_model.load(str(model_dir)).signatures["serving_default"]

    probe = serving_fn(images=tf.zeros((1, 28, 28, 1)))
    calibration = Calibration.from_outputs({k: v.numpy() for k, v in probe.items()})

    def classify(images: np.ndarray) -> Classified:
        out = [
            serving_fn(images=tf.constant(batch[..., np.newaxis], tf.float32))
            for batch in chunks(images.astype(np.float32), 1000)
        ]
        probabilities = np.concatenate(
            [o[PROBABILITIES].numpy() for o in out] or [np.zeros((0, 10))]
        )
        if not out or DIGIT_SCORE not in out[0]:
            return probabilities, None, calibration
        return probabilities, np.concatenate([o[DIGIT_SCORE].numpy() for o in out]), calibration

    return classify


def gateway_predictions(url: str, files: list[bytes]) -> np.ndarray:
    import httpx

    digits: list[int] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for start in range(0, len(files), GATEWAY_BATCH):
            batch = files[start : start + GATEWAY_BATCH]
            multipart = [("file", (f"{i}", data)) for i, data in enumerate(batch)]
            try:
                response = client.post("/predict", files=multipart)
            except httpx.TransportError as exc:
                stop(f"the gateway at {url} stopped answering ({type(exc).__name__})", EXIT_DOWN)
            # One refused file, or more digits read than GATEWAY_MAX_DIGITS: one by one.
            if response.status_code in (413, 422) and len(batch) > 1:
                digits += [int(gateway_predictions(url, [data])[0]) for data in batch]
                continue
            if response.status_code == 422:
                digits.append(-1)
                continue
            if response.status_code != 200:
                stop(
                    f"the gateway answered {response.status_code}: {response.text[:200]}", EXIT_DOWN
                )
            # A number or not_a_digit has no digit: wrong for a single test digit.
            digits += [
                -1 if p["digit"] is None else int(p["digit"])
                for p in response.json()["predictions"]
            ]
    return np.array(digits)


def judge_files(reads: Sequence[Reading | None], classify: Classifier) -> list[Answer | None]:
    """Every file's answer (None when refused): all the digits found classified in one go,
    then judged per file."""
    found = [r for r in reads if r is not None]
    if not found:
        return [None] * len(reads)
    images = np.concatenate([r.images()[..., 0] for r in found])
    judged = iter(judge_all(found, *classify(images)))
    return [None if r is None else next(judged) for r in reads]


# --- the three measures ---------------------------------------------------------------------


@dataclass
class Target:
    pool: ProcessPoolExecutor
    classify: Classifier | None  # in process (a SavedModel), else through the gateway
    gateway: str | None
    judging: bool  # read each file and judge it (needs the model in process)
    draw: int = 0

    def run(self, kind: str, items: np.ndarray, inputs: bool) -> list[Done]:
        tasks = [
            Task(kind, i, chunk, bool(self.gateway), inputs, self.judging, self.draw)
            for i, chunk in enumerate(chunks(items, CHUNK))
        ]
        return list(self.pool.map(run_task, tasks))


def measure_style(
    target: Target, style: str, images: np.ndarray, labels: np.ndarray
) -> dict[str, Any]:
    """Render every digit in `style`, classify the files, and judge them when a reader exists."""
    start = time.perf_counter()
    done = target.run(style, images, inputs=target.gateway is None)
    if target.gateway:
        files = [f for d in done for f in d.files or []]
        predicted = gateway_predictions(target.gateway, files)
    else:
        assert target.classify is not None
        inputs = np.concatenate([d.inputs for d in done if d.inputs is not None])
        predicted = target.classify(inputs)[0].argmax(axis=1)
    result: dict[str, Any] = {"accuracy": float((predicted == labels).mean())}
    if target.judging and target.classify:
        answers = judge_files([r for d in done for r in d.reads or []], target.classify)
        result["flagged"] = float(np.mean([answer_text(a) is None for a in answers]))
        result["answered_right"] = float(
            np.mean(
                [answer_text(a) == str(label) for a, label in zip(answers, labels, strict=True)]
            )
        )
    result["seconds"] = time.perf_counter() - start
    return result


def measure_numbers(
    target: Target, style: str, images: np.ndarray, labels: np.ndarray
) -> dict[int, Any]:
    """Per length, the test digits in consecutive groups as numbers; read right or not."""
    assert target.judging and target.classify
    results = {}
    for length in NUMBER_LENGTHS:
        count = len(labels) // length
        groups = images[: count * length].reshape(count, length, 28, 28)
        expected = [
            "".join(map(str, row)) for row in labels[: count * length].reshape(count, length)
        ]
        start = time.perf_counter()
        reads = [r for d in target.run(style, groups, inputs=False) for r in d.reads or []]
        answers = judge_files(reads, target.classify)
        right = [answer_text(a) == text for a, text in zip(answers, expected, strict=True)]
        results[length] = {
            "numbers": count,
            "read_right": float(np.mean(right)),
            "seconds": time.perf_counter() - start,
        }
    return results


def measure_non_digits(target: Target, kind: str, count: int) -> dict[str, Any]:
    assert target.judging and target.classify
    start = time.perf_counter()
    reads = [r for d in target.run(kind, np.zeros(count), inputs=False) for r in d.reads or []]
    answers = judge_files(reads, target.classify)
    return {
        "images": count,
        "flagged": float(np.mean([answer_text(a) is None for a in answers])),
        "refused": float(np.mean([r is None for r in reads])),  # e.g. blank: a 422
        "seconds": time.perf_counter() - start,
    }


# --- the command ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--model-dir", type=Path, help="a SavedModel version folder")
    target.add_argument("--gateway", help="URL of a running gateway: classify through /predict")
    parser.add_argument(
        "--raw-model-dir",
        type=Path,
        help="SavedModel for the raw-array figure with --gateway (default: skipped)",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, help="first N digits only (default: all)")
    parser.add_argument(
        "--styles", default=",".join(DIGIT_STYLES), help="comma-separated (default: all)"
    )
    parser.add_argument(
        "--non-digits", type=int, default=1000, help="images of each non-digit kind (1000)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="processes rendering/preprocessing")
    parser.add_argument(
        "--accuracy-only",
        action="store_true",
        help="the styles' accuracy only: no reader, numbers or non-digits",
    )
    parser.add_argument(
        "--draw",
        type=int,
        default=0,
        help="another random draw of every file (0, the published figures): how much a "
        "style's figure owes to its sizes, places and pens",
    )
    add_output(parser, "upload_accuracy")
    args = parser.parse_args(argv)
    unknown = set(args.styles.split(",")) - set(DIGIT_STYLES)
    if unknown:
        parser.error(
            f"unknown --styles {', '.join(sorted(unknown))}; known: {', '.join(DIGIT_STYLES)}"
        )
    if BASELINE_STYLE not in args.styles.split(","):
        args.styles = f"{BASELINE_STYLE},{args.styles}"  # the figure every style is compared with
    return args


def require_saved_model(model_dir: Path) -> None:
    if not (model_dir / "saved_model.pb").is_file():
        stop(f"no SavedModel in --model-dir {model_dir}; `make demo` publishes one")


def official_digits(data_dir: Path, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The first `limit` official test digits and their labels (all with None)."""
    try:
        test = load_test_set(data_dir)
    except DataError as exc:
        stop(f"{exc}; pass --data-dir")
    return test.images[:limit], test.labels[:limit]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.gateway and not reachable(urlsplit(args.gateway).netloc):
        stop(f"nothing answers at --gateway {args.gateway}; `make demo` starts one", EXIT_DOWN)
    if args.model_dir:
        require_saved_model(args.model_dir)
    images, labels = official_digits(args.data_dir, args.limit)
    started = time.perf_counter()
    model_dir = args.model_dir or args.raw_model_dir
    classify = saved_model_classifier(model_dir) if model_dir else None
    raw = float((classify(images / 255.0)[0].argmax(axis=1) == labels).mean()) if classify else None
    judging = not args.accuracy_only and not args.gateway  # judging needs the model in process
    with ProcessPoolExecutor(args.jobs) as pool:
        target = Target(
            pool, classify if args.model_dir else None, args.gateway, judging, args.draw
        )
        document = measure_all(target, args, images, labels, raw)
    document["seconds"] = round(time.perf_counter() - started, 1)
    document["jobs"] = args.jobs
    document["load_average_1min"] = round(os.getloadavg()[0], 2)  # others sharing the CPU
    print(
        f"\n{document['seconds']:.0f} s with {args.jobs} processes "
        f"(load average {document['load_average_1min']})"
    )
    write_json(args.output, document)
    return 1 if document["goals_missed"] else 0


def measure_all(
    target: Target,
    args: argparse.Namespace,
    images: np.ndarray,
    labels: np.ndarray,
    raw: float | None,
) -> dict[str, Any]:
    raw_text = f"{raw:.2%}" if raw is not None else "n/a"
    print(f"{len(labels):,} official MNIST test digits; the model on the raw arrays: {raw_text}")
    styles: dict[str, dict[str, Any]] = {}
    print(f"{'style':<16} {'accuracy':>9} {'vs plain':>9} {'flagged':>8} {'ms/img':>7}")
    for style in args.styles.split(","):
        progress(f"{style}: rendering and classifying {len(labels):,} digits ...")
        styles[style] = measure_style(target, style, images, labels)
        styles[style]["delta_points"] = 100 * (
            styles[style]["accuracy"] - styles[BASELINE_STYLE]["accuracy"]
        )
        print_style(style, styles[style], len(labels))
    numbers: dict[str, Any] = {}
    non_digits: dict[str, Any] = {}
    if not target.judging:
        why = (
            "not measured (--accuracy-only)"
            if args.accuracy_only
            else "not measured through the gateway"
        )
        print(f"\nnumbers: {why}\nnon-digits: {why}")
    else:
        numbers = {style: measure_numbers(target, style, images, labels) for style in NUMBER_STYLES}
        print_numbers(numbers)
        non_digits = {
            kind: measure_non_digits(target, kind, args.non_digits) for kind in NON_DIGITS
        }
        print_non_digits(non_digits)
    goals = goal_rows(styles, numbers, non_digits)
    print_goals(goals)
    return {
        "digits": len(labels),
        "draw": args.draw,
        "raw_accuracy": raw,
        "baseline_style": BASELINE_STYLE,
        "styles": styles,
        "numbers": numbers,
        "non_digits": non_digits,
        "reader": "reader.reading + reader.judge" if target.judging else None,
        "goals": goals,
        "goals_missed": [row["goal"] for row in goals if not row["met"]],
    }


def goal_rows(
    styles: dict[str, Any], numbers: dict[str, Any], non_digits: dict[str, Any]
) -> list[dict[str, Any]]:
    worst = min(styles, key=lambda s: styles[s]["delta_points"])
    rows = [
        {
            "goal": f"each style within {GOAL_POINTS:.0f} point of plain PNGs",
            "measured": f"worst {worst} {styles[worst]['delta_points']:+.2f}",
            "met": styles[worst]["delta_points"] >= -GOAL_POINTS,
        }
    ]
    if numbers:
        read = min(n[GOAL_NUMBER_LENGTH]["read_right"] for n in numbers.values())
        rows.append(
            {
                "goal": f"{GOAL_NUMBER_LENGTH}-digit numbers read right ≥ {GOAL_NUMBER_READ:.0%}",
                "measured": f"{read:.2%} (worst number style)",
                "met": read >= GOAL_NUMBER_READ,
            }
        )
    if non_digits:
        flagged = float(np.mean([n["flagged"] for n in non_digits.values()]))
        digits_flagged = float(np.mean([s["flagged"] for s in styles.values()]))
        rows += [
            {
                "goal": f"non-digits flagged ≥ {GOAL_NON_DIGITS_FLAGGED:.0%}",
                "measured": f"{flagged:.2%}",
                "met": flagged >= GOAL_NON_DIGITS_FLAGGED,
            },
            {
                "goal": f"real digits flagged < {GOAL_DIGITS_FLAGGED:.0%}",
                "measured": f"{digits_flagged:.2%} (all styles)",
                "met": digits_flagged < GOAL_DIGITS_FLAGGED,
            },
        ]
    return rows


def print_style(style: str, result: dict[str, Any], count: int) -> None:
    flagged = f"{result['flagged']:.2%}" if "flagged" in result else "-"
    print(
        f"{style:<16} {result['accuracy']:>9.2%} {result['delta_points']:>+9.2f} "
        f"{flagged:>8} {1000 * result['seconds'] / count:>7.2f}"
    )


def print_numbers(numbers: dict[str, dict[int, Any]]) -> None:
    print(f"\n{'numbers read right':<18}" + "".join(f"{n:>4} digits" for n in NUMBER_LENGTHS))
    for style, per_length in numbers.items():
        print(
            f"{style:<18}"
            + "".join(f"{per_length[n]['read_right']:>11.2%}" for n in NUMBER_LENGTHS)
        )


def print_non_digits(non_digits: dict[str, Any]) -> None:
    print(f"\n{'non-digit':<16} {'flagged':>8} {'refused':>8}")
    for kind, result in non_digits.items():
        print(f"{kind:<16} {result['flagged']:>8.2%} {result['refused']:>8.2%}")


def print_goals(goals: list[dict[str, Any]]) -> None:
    print()
    for row in goals:
        print(f"{'met ' if row['met'] else 'MISSED'} {row['goal']}: {row['measured']}")


if __name__ == "__main__":
    sys.exit(main())
