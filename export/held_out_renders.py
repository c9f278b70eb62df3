"""The run's held-out digits as uploads: each rendered in an upload style of reader/styles.py
and read by the reader exactly as the gateway reads an upload.

Free of TensorFlow: `read_styled` runs in worker processes started by export/calibration.py.
The reader is imported there, not here, so that `python -m export --help` (which shows
DIGITS_PER_STYLE) stays instant.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from reader.reading import Reading

# Digits rendered per style: 150 × 20 styles = 3,000 files (each of the 500 validation digits
# in six styles), as many as the hand-set thresholds of reader/judge.py were chosen on.
DIGITS_PER_STYLE = 150


def style_rng(style: str, first: int) -> np.random.Generator:
    """The same files for the same digits on every export."""
    return np.random.default_rng([zlib.crc32(style.encode()), first])


def read_styled(job: tuple[str, int, np.ndarray]) -> list[Reading | None]:
    """`digits` (uint8 [n, 28, 28]) rendered in `style` and read; None for a file the reader
    refuses (as blank: a 422 at the gateway). `first` seeds the style's generator."""
    from reader.image_errors import ImageError
    from reader.reading import read
    from reader.styles import render

    style, first, digits = job
    rng = style_rng(style, first)
    readings: list[Reading | None] = []
    for digit in digits:
        try:
            readings.append(read(render(digit, style, rng)))
        except ImageError:
            readings.append(None)
    return readings
