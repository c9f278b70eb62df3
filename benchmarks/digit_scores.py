"""The model's digit_score on real digits in every upload style, and what the judge makes
of them and of generated non-digits, with the version's own calibration.

    .venv/bin/python -m benchmarks.digit_scores --model-dir models/mnist/1

Renders the 500 bundled validation digits (contract/data/held_out_digits.npz, never trained
on; `--digits` of them) in each of the 20 upload styles of reader/styles.py, reads each file
as the gateway does, and prints the percentiles of digit_score over the digits read as one
mark. Then it judges every file (reader.judge) and prints the share flagged not_a_digit:
of the digits, and of `--non-digits` images of each generated kind (a file read as blank
counts as flagged, as the gateway's 422). The version's calibration (its min_digit_score and
min_margin outputs, chosen at export: export/calibration.py) judges, or
reader.judge.DEFAULT_CALIBRATION for a version exported before it.
"""

from __future__ import annotations

import argparse
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks.output import stop
from contract.digits import load_bundled
from contract.model import DIGIT_SCORE, PROBABILITIES
from reader.image_errors import ImageError
from reader.judge import DEFAULT_CALIBRATION, NOT_A_DIGIT, Calibration, judge_all, per_reading
from reader.reading import Reading, read
from reader.styles import DIGIT_STYLES, NON_DIGITS, render, render_non_digit

PERCENTILES = (0.1, 0.5, 1, 2, 5)


def reading(job: tuple[str, int]) -> Reading | None:
    """One rendered file, read (None when it is refused as blank)."""
    kind, index = job
    rng = np.random.default_rng([zlib.crc32(kind.encode()), index])
    if kind in NON_DIGITS:
        data = render_non_digit(kind, rng)
    else:
        data = render(load_bundled().images[index], kind, rng)
    try:
        return read(data)
    except ImageError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="a SavedModel version")
    parser.add_argument("--digits", type=int, default=150, help="bundled digits per style")
    parser.add_argument("--non-digits", type=int, default=150, help="images of each kind")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if not (args.model_dir / "saved_model.pb").is_file():
        stop(f"no SavedModel in --model-dir {args.model_dir}; `make demo` publishes one")

    from training.quiet import import_tensorflow

    tf = import_tensorflow()
    serving = tf.saved_model.load(str(args.model_dir)).signatures["serving_default"]
    probe = serving(images=tf.zeros((1, 28, 28, 1)))
    calibration = Calibration.from_outputs({k: v.numpy() for k, v in probe.items()})
    limits = calibration or DEFAULT_CALIBRATION
    print(
        f"calibration: min_digit_score {limits.min_digit_score:.4f}, min_margin "
        f"{limits.min_margin:.4f}" + ("" if calibration else " (the defaults: none in the version)")
    )

    def flagged(readings: list[Reading | None]) -> tuple[float, list[np.ndarray]]:
        """The share judged not_a_digit (or refused), and each reading's digit scores."""
        found = [r for r in readings if r is not None]
        out = serving(images=tf.constant(np.concatenate([r.images() for r in found])))
        scores = out[DIGIT_SCORE].numpy()
        answers = judge_all(found, out[PROBABILITIES].numpy(), scores, calibration)
        judged = sum(answer.status == NOT_A_DIGIT for answer in answers)
        return (judged + len(readings) - len(found)) / len(readings), per_reading(found, scores)

    with ProcessPoolExecutor(args.jobs) as pool:
        digit_jobs = [(style, i) for style in DIGIT_STYLES for i in range(args.digits)]
        digits = list(pool.map(reading, digit_jobs, chunksize=25))
        others = {
            kind: list(pool.map(reading, [(kind, i) for i in range(args.non_digits)]))
            for kind in NON_DIGITS
        }
    share, scores = flagged(digits)
    single = np.concatenate([s for s in scores if len(s) == 1])
    at = np.percentile(single, PERCENTILES)
    marks = ", ".join(f"{p}%: {v:.3f}" for p, v in zip(PERCENTILES, at, strict=True))
    print(f"digit_score of {len(single):,} styled digits read as one mark: {marks}")
    under = np.mean(single < limits.min_digit_score)
    print(f"under min_digit_score {limits.min_digit_score:.4f}: {under:.2%}")
    print(f"judged not_a_digit: {share:.2%} of {len(digits):,} styled digits")
    shares = {kind: flagged(readings)[0] for kind, readings in others.items()}
    for kind, kind_share in shares.items():
        print(f"  {kind:<12} {kind_share:7.1%}")
    print(f"  {'mean':<12} {np.mean(list(shares.values())):7.1%} of the non-digits")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
