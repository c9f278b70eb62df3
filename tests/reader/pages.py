"""Test pages made here: real bundled MNIST digits written on paper, photographed badly.

Each helper changes one thing, so a test can compare a page with its clean twin.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from contract.digits import load_bundled

PAPER = 235.0
INK = 25.0


def bundled(index: int) -> tuple[np.ndarray, int]:
    """A bundled validation digit (uint8 28×28, light on dark) and its label."""
    split = load_bundled()
    return split.images[index], int(split.labels[index])


def ink_of(digit: np.ndarray, side: int) -> np.ndarray:
    """The digit's ink coverage 0..1 at side×side (bicubic, as a smooth pen)."""
    image = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0


def place(ink: np.ndarray, size: tuple[int, int], at: tuple[int, int]) -> np.ndarray:
    """Ink coverage on an empty page of `size` (height, width), its top left corner at `at`."""
    page = np.zeros(size, dtype=np.float32)
    page[at[0] : at[0] + ink.shape[0], at[1] : at[1] + ink.shape[1]] = ink
    return page


def on_paper(coverage: np.ndarray, paper: np.ndarray | float = PAPER) -> np.ndarray:
    """Dark ink on paper: grey levels (float)."""
    return paper * (1.0 - coverage) + INK * coverage


def thicker(coverage: np.ndarray, size: int) -> np.ndarray:
    """A broader pen: the coverage dilated by a size×size square."""
    image = Image.fromarray((coverage * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(size))
    return np.asarray(image, dtype=np.float32) / 255.0


def lit_unevenly(grey: np.ndarray, darkest: float) -> np.ndarray:
    """Light falling from the left: the right edge at `darkest` of the left's brightness."""
    gain = np.linspace(1.0, darkest, grey.shape[1], dtype=np.float32)
    return grey * gain[np.newaxis, :]


def shadowed(grey: np.ndarray, depth: float) -> np.ndarray:
    """A soft-edged shadow over the lower half."""
    rows = np.arange(grey.shape[0], dtype=np.float32)
    edge = 1.0 / (1.0 + np.exp(-(rows - grey.shape[0] / 2) / 4.0))
    return grey * (1.0 - depth * edge)[:, np.newaxis]


def noisy(grey: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    return grey + np.random.default_rng(seed).normal(0.0, sigma, grey.shape)


def ruled(paper_size: tuple[int, int], spacing: int, level: float = 150.0) -> np.ndarray:
    """Paper with grey horizontal rules every `spacing` rows, 2 px thick."""
    paper = np.full(paper_size, PAPER, dtype=np.float32)
    for row in range(spacing // 2, paper_size[0], spacing):
        paper[row : row + 2] = level
    return paper


def as_uint8(grey: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)


def number(
    digits: list[np.ndarray], side: int, gap: int, margin: int = 30
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Digits written side by side (each cut to its ink's columns), and each one's columns."""
    pieces = []
    for digit in digits:
        ink = ink_of(digit, side)
        columns = np.flatnonzero(ink.max(axis=0) > 0.05)
        pieces.append(ink[:, columns[0] : columns[-1] + 1])
    width = sum(p.shape[1] for p in pieces) + gap * (len(pieces) - 1) + 2 * margin
    page = np.zeros((side + 2 * margin, width), dtype=np.float32)
    spans, left = [], margin
    for piece in pieces:
        page[margin : margin + side, left : left + piece.shape[1]] = piece
        spans.append((left, left + piece.shape[1]))
        left += piece.shape[1] + gap
    return page, spans
