"""Where the judge's MIN_DIGIT_SCORE comes from: the model's digit_score on real digits in
every upload style, and how many of the generated non-digits fall under a threshold.

    .venv/bin/python -m benchmarks.digit_scores --model-dir models/mnist/1

Renders the 500 bundled validation digits (contract/data/held_out_digits.npz, never trained
on; `--digits` of them) in each of the 20 upload styles of client/styles.py, reads each file
as the gateway does, and prints the percentiles of digit_score over the digits read as one
mark; then, for `--non-digits` images of each kind, the share whose lowest digit_score is
under `--threshold`. The threshold is chosen on the digits alone.
"""

from __future__ import annotations

import argparse
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from client.styles import DIGIT_STYLES, NON_DIGITS, render, render_non_digit
from contract.answers import MIN_DIGIT_SCORE
from contract.digits import load_bundled
from contract.image_errors import ImageError
from contract.model import DIGIT_SCORE
from contract.reading import read

PERCENTILES = (0.1, 0.5, 1, 2, 5)


def fields(job: tuple[str, int]) -> np.ndarray:
    """The fields [n, 28, 28, 1] read off one rendered file (none when it is refused)."""
    kind, index = job
    rng = np.random.default_rng([zlib.crc32(kind.encode()), index])
    if kind in NON_DIGITS:
        data = render_non_digit(kind, rng)
    else:
        data = render(load_bundled().images[index], kind, rng)
    try:
        return read(data).images()
    except ImageError:
        return np.zeros((0, 28, 28, 1), np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="a SavedModel version")
    parser.add_argument("--digits", type=int, default=150, help="bundled digits per style")
    parser.add_argument("--non-digits", type=int, default=150, help="images of each kind")
    parser.add_argument("--threshold", type=float, default=MIN_DIGIT_SCORE)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    from training.quiet import import_tensorflow

    tf = import_tensorflow()
    serving = tf.saved_model.load(str(args.model_dir)).signatures["serving_default"]

    def scores(batches: list[np.ndarray]) -> list[np.ndarray]:
        stacked = np.concatenate(batches)
        flat = serving(images=tf.constant(stacked))[DIGIT_SCORE].numpy()
        return np.split(flat, np.cumsum([len(b) for b in batches])[:-1])

    digit_jobs = [(style, i) for style in DIGIT_STYLES for i in range(args.digits)]
    other_jobs = [(kind, i) for kind in NON_DIGITS for i in range(args.non_digits)]
    with ProcessPoolExecutor(args.jobs) as pool:
        digits = list(pool.map(fields, digit_jobs, chunksize=25))
        others = list(pool.map(fields, other_jobs, chunksize=25))
    single = np.concatenate([s for s in scores(digits) if len(s) == 1])
    marks = ", ".join(
        f"{p}%: {v:.3f}"
        for p, v in zip(PERCENTILES, np.percentile(single, PERCENTILES), strict=True)
    )
    print(f"digit_score of {len(single):,} styled digits read as one mark, percentiles {marks}")
    print(f"under {args.threshold}: {np.mean(single < args.threshold):.2%} of those digits")
    lowest = [float(s.min()) if len(s) else 0.0 for s in scores(others)]
    for kind in NON_DIGITS:
        share = np.mean(np.array(lowest[: args.non_digits]) < args.threshold)
        lowest = lowest[args.non_digits :]
        print(f"{kind:<12} {share:7.1%} with a mark under {args.threshold} (or none read)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
