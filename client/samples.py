"""`python -m client samples --out DIR`: real MNIST digits as the image files people upload.

Each file is named with its true label (`003-digit-7.png`), so that anyone can try the
service at once and see whether it got the digit right. The drawing styles are those of
reader/styles.py, which the gateway's accuracy tests use too.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

from client.errors import UserError
from contract.digits import load_digits, pick_balanced
from reader import styles

BENCH_SAMPLE_COUNT = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--count", type=_positive, default=10, help="number of images")
    parser.add_argument("--style", choices=styles.STYLES, default="plain")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("MNIST_TEST_DIR") or None,
        help="directory with the MNIST test set IDX files (default: $MNIST_TEST_DIR, "
        "else the held-out digits bundled with the project)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="which digits are picked; the first is seed %% 10"
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"count must be at least 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    try:
        written = write_samples(args.out, args.count, args.style, args.data_dir, args.seed)
    except OSError as exc:
        raise UserError(f"cannot write into {args.out}: {exc.strerror or exc}") from exc
    print(f"wrote {len(written)} {args.style} images into {args.out}:")
    print("  " + " ".join(path.name for path in written))
    return 0


def write_samples(
    out: Path, count: int, style: str, data_dir: Path | None = None, seed: int = 0
) -> list[Path]:
    """Write `count` digits of every class in turn, drawn in `style`; their paths."""
    digits, _ = load_digits(data_dir)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number, index in enumerate(pick_balanced(digits.labels, count, seed)):
        path = out / f"{number:03d}-digit-{digits.labels[index]}.{styles.EXTENSIONS[style]}"
        path.write_bytes(styles.render(digits.images[index], style, rng))
        written.append(path)
    return written


def bench_samples() -> list[Path]:
    """Plain PNG digits for the load benchmark, (re)written into the system temp dir."""
    out = Path(tempfile.gettempdir()) / "mnist-serving-bench-samples"
    return write_samples(out, BENCH_SAMPLE_COUNT, "plain")
