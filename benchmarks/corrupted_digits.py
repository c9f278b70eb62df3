"""How a model reads damaged digits: our own corruptions (training/corrupt.py) of the 500
held-out digits (contract/data/held_out_digits.npz, the demo run's validation split, never
trained on), each read as a 28×28 upload is (reader.reading.read_array), then the model.

    .venv/bin/python -m benchmarks.corrupted_digits --model-dir models/mnist/1

Per corruption: the share read right (the most likely digit; a copy read as blank counts
wrong), the share whose digit_score is under the judge's MIN_DIGIT_SCORE (taken for no
digit), and the median digit_score. Then the same for marks that are no digit of the kinds
training/non_digits.py draws on a 28×28 page (noise alone, lines alone, textures, damaged
marks; drawn with another seed than training's): the share under MIN_DIGIT_SCORE; and for
the benchmark's own non-digits (reader/styles.py NON_DIGITS, never trained on, read as the
gateway reads the file): the share whose every mark scores under it (blank: counted). The
corruptions are drawn with their own seed, apart from the training pool's. MNIST-C and the
official test set are not used here: this is what parameters may be chosen on.
"""

from __future__ import annotations

import argparse
import zlib
from pathlib import Path

import numpy as np

from benchmarks.output import stop
from contract.digits import load_bundled
from contract.model import DIGIT_SCORE, PROBABILITIES
from reader.image_errors import ImageError
from reader.judge import MIN_DIGIT_SCORE
from reader.reading import read
from reader.styles import NON_DIGITS, render_non_digit
from training.corrupt import KINDS, corrupt, read_field
from training.non_digits import SMALL, field

VALIDATION_STREAM = 7  # the corruptions' own random stream (the training pool uses 22)


def damaged_fields(kind: str, images: np.ndarray) -> list[np.ndarray | None]:
    """Each image (uint8 [n, 28, 28]) damaged by `kind` ("clean": none) and read."""
    rng = np.random.default_rng([zlib.crc32(kind.encode()), VALIDATION_STREAM])
    out = []
    for image in images.astype(np.float32) / 255.0:
        out.append(read_field(image if kind == "clean" else corrupt(image, kind, rng)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="a SavedModel version")
    parser.add_argument("--digits", type=int, default=500, help="held-out digits per kind")
    parser.add_argument("--marks", type=int, default=200, help="non-digit marks per family")
    parser.add_argument("--styled", type=int, default=150, help="reader/styles.py non-digits")
    parser.add_argument(
        "--threshold",
        type=float,
        default=MIN_DIGIT_SCORE,
        help="digit_score under which a mark is taken for no digit (default: the judge's "
        f"MIN_DIGIT_SCORE, {MIN_DIGIT_SCORE}; a version's own is chosen on styled held-out "
        "digits, e.g. the 1st percentile that benchmarks/digit_scores.py prints)",
    )
    args = parser.parse_args(argv)
    if not (args.model_dir / "saved_model.pb").is_file():
        stop(f"no SavedModel in --model-dir {args.model_dir}; `make demo` publishes one")

    from training.quiet import import_tensorflow

    tf = import_tensorflow()
    serving = tf.saved_model.load(str(args.model_dir)).signatures["serving_default"]

    def outputs(fields: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        batch = tf.constant(np.stack(fields)[..., np.newaxis].astype(np.float32))
        out = serving(images=batch)
        return out[PROBABILITIES].numpy(), out[DIGIT_SCORE].numpy().reshape(-1)

    digits = load_bundled()
    images, labels = digits.images[: args.digits], digits.labels[: args.digits]
    least = args.threshold
    print(f"{len(images)} held-out digits; no digit under a digit_score of {least}")
    print(f"{'corruption':<14}{'right':>8}{'no digit':>11}{'median score':>14}")
    errors = []
    for kind in ("clean", *KINDS):
        fields = damaged_fields(kind, images)
        found = np.array([f is not None for f in fields])
        probabilities, scores = outputs([f for f in fields if f is not None])
        right = np.zeros(len(fields), bool)
        right[found] = probabilities.argmax(axis=1) == labels[found]
        low = (len(fields) - found.sum() + np.sum(scores < least)) / len(fields)
        if kind != "clean":
            errors.append(1 - right.mean())
        print(f"{kind:<14}{right.mean():>8.1%}{low:>11.1%}{np.median(scores):>14.3f}")
    print(f"{'mean error':<14}{np.mean(errors):>8.1%} over the {len(KINDS)} corruptions")

    print(f"\nno digit, {args.marks} marks per family (28×28 pages, another seed than training's)")
    all_digits = load_bundled().images
    for family in SMALL:
        rng = np.random.default_rng([zlib.crc32(family.encode()), VALIDATION_STREAM])
        marks = [f for _ in range(args.marks) if (f := field(family, rng, all_digits)) is not None]
        _, scores = outputs(marks)
        print(f"{family:<14}{np.mean(scores < least):>8.1%} under the threshold")

    print(f"\nreader/styles.py non-digits, {args.styled} files each (never trained on)")
    shares = []
    for kind in NON_DIGITS:
        rng = np.random.default_rng([zlib.crc32(kind.encode()), VALIDATION_STREAM])
        low = 0
        for _ in range(args.styled):
            try:
                reading = read(render_non_digit(kind, rng))
            except ImageError:
                low += 1  # refused as blank
                continue
            _, scores = outputs(list(reading.images()[..., 0]))
            low += bool((scores < least).all())
        shares.append(low / args.styled)
        print(f"{kind:<14}{shares[-1]:>8.1%} every mark under the threshold")
    print(f"{'mean':<14}{np.mean(shares):>8.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
