"""Accuracy on real-looking uploads: all 10,000 official MNIST test digits in each style.

    python benchmarks/upload_accuracy.py --model-dir models/mnist/1
    python benchmarks/upload_accuracy.py --gateway http://localhost:8000   # through /predict

Each test digit is rendered as a file in each style of client/styles.py (plain 28×28 PNG,
black ink on paper, large off-centre canvas, tinted photo-like JPEG, transparent canvas
export), preprocessed by contract/preprocessing.py and classified by the SavedModel
in this process (or sent to a running gateway's /predict in batches). It prints accuracy
per style against the model on the raw arrays, the figure the issue's goals compare with:
plain within 0.3 points, every other style within 1 point.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from client.styles import STYLES, render  # noqa: E402
from contract.digits import load_test_set  # noqa: E402
from contract.preprocessing import preprocess  # noqa: E402

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist-test"
GOAL_POINTS = {"plain": 0.3}
DEFAULT_GOAL_POINTS = 1.0
BATCH = 500
GATEWAY_BATCH = 32


def load_test_digits(data_dir: Path, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    test = load_test_set(data_dir)
    return test.images[:limit], test.labels[:limit]


def render_chunk(args: tuple[np.ndarray, str, int]) -> list[bytes]:
    images, style, seed = args
    rng = np.random.default_rng(seed)
    return [render(image, style, rng) for image in images]


def preprocess_chunk(files: list[bytes]) -> np.ndarray:
    return np.stack([preprocess(data) for data in files])


def chunks(images: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(images), size):
        yield images[start : start + size]


def saved_model_classifier(model_dir: Path) -> Callable[[np.ndarray], np.ndarray]:
    import tensorflow as tf

    serving_fn = tf.saved_model.load(str(model_dir)).signatures["serving_default"]

    def classify(images: np.ndarray) -> np.ndarray:
        out = [
            serving_fn(images=tf.constant(batch[..., np.newaxis], tf.float32))["probabilities"]
            for batch in chunks(images.astype(np.float32), BATCH)
        ]
        return np.concatenate([o.numpy() for o in out]).argmax(axis=1)

    return classify


def gateway_predictions(url: str, files: list[bytes]) -> np.ndarray:
    import httpx

    digits: list[int] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for start in range(0, len(files), GATEWAY_BATCH):
            batch = files[start : start + GATEWAY_BATCH]
            multipart = [("file", (f"{i}", data)) for i, data in enumerate(batch)]
            response = client.post("/predict", files=multipart)
            response.raise_for_status()
            digits += [p["digit"] for p in response.json()["predictions"]]
    return np.array(digits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--model-dir", type=Path, help="a SavedModel version folder")
    target.add_argument("--gateway", help="URL of a running gateway: classify through /predict")
    parser.add_argument(
        "--raw-model-dir",
        type=Path,
        help="SavedModel for the raw-array figure "
        "with --gateway (default: the raw figure is skipped)",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, help="first N digits only (default: all)")
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--jobs", type=int, default=2, help="processes rendering/preprocessing")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    images, labels = load_test_digits(args.data_dir, args.limit)
    model_dir = args.model_dir or args.raw_model_dir
    classify = saved_model_classifier(model_dir) if model_dir else None
    results: dict[str, dict[str, float]] = {}
    raw = float((classify(images / 255.0) == labels).mean()) if classify else None
    print(
        f"{len(labels):,} official MNIST test digits; model on raw arrays: "
        + (f"{raw:.2%}" if raw is not None else "n/a")
    )
    print(f"{'style':<12} {'accuracy':>9} {'vs raw':>8} {'goal':>6} {'wall ms/img':>12}")
    failures = 0
    with ProcessPoolExecutor(args.jobs) as pool:
        for style in args.styles.split(","):
            start = time.perf_counter()
            work = [(chunk, style, i) for i, chunk in enumerate(chunks(images, BATCH))]
            files = [f for batch in pool.map(render_chunk, work) for f in batch]
            render_seconds = time.perf_counter() - start
            start = time.perf_counter()
            if args.gateway:
                predicted = gateway_predictions(args.gateway, files)
            else:
                assert classify is not None
                file_chunks = [files[i : i + BATCH] for i in range(0, len(files), BATCH)]
                inputs = np.concatenate(list(pool.map(preprocess_chunk, file_chunks)))
                predicted = classify(inputs)
            seconds = time.perf_counter() - start
            accuracy = float((predicted == labels).mean())
            delta = 100 * (accuracy - raw) if raw is not None else float("nan")
            goal = GOAL_POINTS.get(style, DEFAULT_GOAL_POINTS)
            failures += int(raw is not None and -delta > goal)
            results[style] = {
                "accuracy": accuracy,
                "delta_points": delta,
                "goal_points": goal,
                "render_seconds": render_seconds,
                "seconds": seconds,
            }
            print(
                f"{style:<12} {accuracy:>9.2%} {delta:>+8.2f} {goal:>6.1f} "
                f"{1000 * seconds / len(labels):>12.3f}"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"raw_accuracy": raw, "digits": len(labels), "styles": results}, indent=2)
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
