"""What preprocessing costs per upload, by size: CPU time of `preprocess` (one digit) and
`read` (the digits of a number) in this process, against Pillow's decode of the same file
alone in the same run (the ratio is what the reader adds, whatever the machine's load).

    python benchmarks/preprocess_cost.py                # --repeat 50, results in .run/bench/

The uploads are made here from a bundled MNIST digit: the 28×28 PNG itself; phone-photo-like
pages (dark ink on unevenly lit paper with sensor noise, the digit a fifth of the page's
height, JPEG quality 90) at 640×480, 3 MP (2048×1536) and 12 MP (4000×3000); a 12 MP phone
photo as reader/styles.py renders them (tinted paper, a coloured pen, lens blur, quality 85);
and a 12 MP PNG (no reduced-scale JPEG decode). Each figure is the median of --repeat runs
of one thread. The issue's goals: a 28×28 PNG read in 0.3 ms, a 12 MP JPEG in 40 ms.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.output import add_output, progress, write_json  # noqa: E402
from contract.digits import load_bundled  # noqa: E402
from reader.preprocessing import preprocess  # noqa: E402
from reader.reading import read  # noqa: E402
from reader.styles import _phone_ink, _phone_photo  # noqa: E402

SIZES = {  # name: (width, height, format)
    "28×28 PNG": (28, 28, "PNG"),
    "640×480 JPEG": (640, 480, "JPEG"),
    "3 MP JPEG": (2048, 1536, "JPEG"),
    "12 MP JPEG": (4000, 3000, "JPEG"),
    "12 MP phone JPEG": (4000, 3000, "phone"),
    "12 MP PNG": (4000, 3000, "PNG"),
}
GOALS_MS = {"28×28 PNG": 0.3, "12 MP JPEG": 40.0, "12 MP phone JPEG": 40.0}  # the issue's, read


def photo(digit: np.ndarray, width: int, height: int) -> Image.Image:
    """The digit, a fifth of the height, dark on unevenly lit, noisy paper."""
    if (width, height) == (28, 28):
        return Image.fromarray(digit)
    side = height // 5
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC))
    page = np.full((height, width), 235.0, dtype=np.float32)
    top, left = (height - side) // 2, (width - side) // 2
    page[top : top + side, left : left + side] -= ink / 255.0 * 210.0
    page *= np.linspace(1.0, 0.6, width, dtype=np.float32)[np.newaxis, :]
    page += np.random.default_rng(0).normal(0.0, 4.0, page.shape).astype(np.float32)
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))


def phone_photo(digit: np.ndarray, width: int, height: int) -> bytes:
    """reader/styles.py's phone photo at this size: the digit a fifth of the height."""
    rng = np.random.default_rng(0)
    ink = _phone_ink(digit, rng, low=height // 5, high=height // 5 + 1)
    return _phone_photo(ink, rng, size=(height, width), blur=0.8 * height / 240)


def upload(digit: np.ndarray, width: int, height: int, fmt: str) -> bytes:
    if fmt == "phone":
        return phone_photo(digit, width, height)
    buffer = io.BytesIO()
    photo(digit, width, height).save(
        buffer, format=fmt, **({"quality": 90} if fmt == "JPEG" else {})
    )
    return buffer.getvalue()


def decode(data: bytes) -> None:
    """Pillow's own work: the whole file decoded, no reader (the baseline)."""
    Image.open(io.BytesIO(data)).load()


def median_ms(function: Callable[[bytes], object], data: bytes, repeat: int) -> float:
    function(data)  # warm: imports, caches
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function(data)
        times.append(time.process_time() - start)
    return 1000 * float(np.median(times))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="runs per size (median)")
    add_output(parser, "preprocess_cost")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    digit = load_bundled().images[0]
    results: dict[str, dict[str, float]] = {}
    for name, (width, height, fmt) in SIZES.items():
        progress(f"{name}: {args.repeat} runs ...")
        data = upload(digit, width, height, fmt)
        results[name] = {
            "bytes": len(data),
            "decode_ms": median_ms(decode, data, args.repeat),
            "preprocess_ms": median_ms(preprocess, data, args.repeat),
            "read_ms": median_ms(read, data, args.repeat),
        }
    print(
        f"{'upload':<17} {'KB':>6} {'decode ms':>10} {'preprocess ms':>14} {'read ms':>8} "
        f"{'read/decode':>12} {'goal ms':>8}"
    )
    for name, row in results.items():
        goal = f"{GOALS_MS[name]:.1f}" if name in GOALS_MS else ""
        print(
            f"{name:<17} {row['bytes'] / 1024:>6.0f} {row['decode_ms']:>10.2f} "
            f"{row['preprocess_ms']:>14.2f} {row['read_ms']:>8.2f} "
            f"{row['read_ms'] / row['decode_ms']:>12.1f} {goal:>8}"
        )
    write_json(args.output, {"repeat": args.repeat, "goals_ms": GOALS_MS, "sizes": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
