"""Uploads drawn for the gateway's tests: a number written on paper with real MNIST digits
(the bundled held-out ones), a scribble over the page, marks scattered over it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from contract.digits import load_bundled
from tests.fixtures.images import encode

SCALE = 3  # MNIST pixels to paper pixels
GAP = 4 * SCALE  # between two digits' ink, as people write a number
MARGIN = 30


@dataclass(frozen=True)
class Drawn:
    data: bytes  # a PNG file: dark ink on white
    columns: list[tuple[int, int]]  # each digit's ink, [left, right) in the file's pixels
    size: tuple[int, int]  # width, height


def mnist_digit(label: int, which: int = 0) -> np.ndarray:
    """A bundled held-out digit: uint8 [28, 28], white on black."""
    split = load_bundled()
    return split.images[np.flatnonzero(split.labels == label)[which]]


def number_page(labels: list[int]) -> Drawn:
    """The digits side by side, each cut to its ink's columns, GAP apart, on white paper."""
    pieces = []
    for label in labels:
        side = 28 * SCALE
        big = np.asarray(Image.fromarray(mnist_digit(label)).resize((side, side)))
        columns = np.flatnonzero(big.max(axis=0) > 12)
        pieces.append(big[:, columns[0] : columns[-1] + 1])
    width = 2 * MARGIN + sum(p.shape[1] for p in pieces) + GAP * (len(pieces) - 1)
    ink = np.zeros((28 * SCALE + 2 * MARGIN, width), np.uint8)
    left, placed = MARGIN, []
    for piece in pieces:
        ink[MARGIN : MARGIN + piece.shape[0], left : left + piece.shape[1]] = piece
        placed.append((left, left + piece.shape[1]))
        left += piece.shape[1] + GAP
    return Drawn(encode(255 - ink), placed, (width, ink.shape[0]))


def scribble(seed: int = 0, size: int = 200, turns: int = 20) -> bytes:
    """A pen run back and forth over the middle of the page, as one crosses something out:
    strokes far longer than any digit's."""
    rng = np.random.default_rng(seed)
    image = Image.new("L", (size, size), 255)
    low, high = size * 0.25, size * 0.75
    ys = np.linspace(low, high, turns) + rng.normal(0, 2, turns)
    xs = np.where(np.arange(turns) % 2 == 0, low, high) + rng.normal(0, 4, turns)
    points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    ImageDraw.Draw(image).line(points, fill=0, width=4, joint="curve")
    return encode(image)


def scattered_marks(seed: int = 0, count: int = 30, size: int = 240) -> bytes:
    """Dots all over the page: no digit, many marks."""
    rng = np.random.default_rng(seed)
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for x, y in rng.uniform(10, size - 20, (count, 2)):
        draw.ellipse([x, y, x + 6, y + 6], fill=0)
    return encode(image)
