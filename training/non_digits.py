"""Marks that are no digit, as the model sees them: examples of the class "no digit" that the
models learn beside the ten digits, so that the served model says how much an input looks
like a digit at all (the `digit_score` output, contract/model.py).

Each example is drawn with Pillow on a small page and read by the contract
(`reader.reading.read_array`), exactly as an upload is; every field read is one example.
The families are kinds of marks, not a list of known letters or shapes:

- glyph: 2 to 5 pen strokes, straight or curved, between random points of a box;
- lattice: 2 to 4 strokes and arcs between the points of a 3×3 lattice (how letters, signs
  and symbols are built);
- tangle: one long stroke that turns many times (a scribble);
- overlay: two training digits of different classes, one over the other;
- blot: filled shapes; hatch: parallel or crossing lines, zigzags; dots: a few specks;

and, on a 28×28 page (read as a small upload is), what damages a digit without the digit
(training/corrupt.py), so that a model taught to read damaged digits still refuses the damage:

- speckle: noise alone (isolated pixels, grain, drops of ink, a cloud);
- rules: lines alone (straight, in bands, zigzags, dotted rows);
- texture: a pattern over the whole field (stripes, checks, grids, lattices of dots, waves);
- damaged: a mark of the drawn families above, damaged by one of the corruptions.

A random pair of strokes can make a 7, and half of a tangle a 6: a field as close to some
training digit as most digits are to their nearest neighbour is dropped, so the model is
never taught that a digit is no digit. These generators are apart from the benchmark's
non-digits (reader/styles.py), so that its figures are not measured on what was trained on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from reader.image_errors import ImageError
from reader.reading import read_array
from training.corrupt import CORRUPTIONS, SIDE, corrupt

PAGE = 112  # side of the page a mark is drawn on, in pixels
PAPER, INK = 235, 20
# A kept example is farther from every training digit than this share of the digits are
# from their nearest other digit (cosine similarity of the 28×28 fields).
NEAR_DIGIT_QUANTILE = 0.05
DIGIT_SAMPLE = 1000  # digits whose nearest neighbours set that threshold
OVERSAMPLE = 3  # pages drawn at most per mark asked for: some read blank or in pieces


def _pen(rng: np.random.Generator) -> int:
    return int(rng.integers(3, 12))


def _curve(rng: np.random.Generator, points: int, spread: float) -> list[tuple[float, float]]:
    """A smooth path through `points` random points: a Catmull-Rom-like spline."""
    anchors = rng.uniform(PAGE * (0.5 - spread), PAGE * (0.5 + spread), (points, 2))
    t = np.linspace(0, 1, 12 * points)
    xs = np.interp(t, np.linspace(0, 1, points), anchors[:, 0])
    ys = np.interp(t, np.linspace(0, 1, points), anchors[:, 1])
    kernel = np.ones(7) / 7  # rounds the corners
    xs = np.convolve(np.pad(xs, 3, mode="edge"), kernel, mode="valid")
    ys = np.convolve(np.pad(ys, 3, mode="edge"), kernel, mode="valid")
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def glyph(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    width = _pen(rng)
    for _ in range(int(rng.integers(2, 6))):
        if rng.random() < 0.6:  # straight
            ends = rng.uniform(PAGE * 0.2, PAGE * 0.8, (2, 2))
            draw.line([tuple(p) for p in ends.tolist()], fill=INK, width=width)
        else:
            draw.line(_curve(rng, 3, 0.3), fill=INK, width=width, joint="curve")


LATTICE = np.array([(x, y) for y in (0.2, 0.5, 0.8) for x in (0.25, 0.5, 0.75)]) * PAGE


def lattice(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    """2 to 4 strokes between the points of a 3×3 lattice, some of them arcs: the way
    letters and signs are built, slanted and wobbly as a hand draws them."""
    width, slant = _pen(rng), rng.uniform(-0.25, 0.25)
    points = LATTICE + rng.normal(0, 3, LATTICE.shape)
    points[:, 0] += slant * (PAGE / 2 - points[:, 1])
    for _ in range(int(rng.integers(2, 5))):
        a, b = points[rng.choice(len(points), 2, replace=False)]
        if rng.random() < 0.7:
            draw.line((tuple(a), tuple(b)), fill=INK, width=width)
            continue
        centre, radius = (a + b) / 2, float(np.linalg.norm(b - a) / 2)
        start = float(np.degrees(np.arctan2(*(b - a)[::-1])))
        span = (start, start + 180) if rng.random() < 0.5 else (start + 180, start + 360)
        box = (*(centre - radius), *(centre + radius))
        draw.arc(box, *span, fill=INK, width=width)


def tangle(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    path = _curve(rng, int(rng.integers(6, 14)), 0.32)
    draw.line(path, fill=INK, width=_pen(rng), joint="curve")


def blot(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(1, 3))):
        corners = rng.uniform(PAGE * 0.2, PAGE * 0.8, (int(rng.integers(3, 7)), 2))
        if rng.random() < 0.5:
            x0, y0 = corners.min(axis=0)
            x1, y1 = corners.max(axis=0)
            draw.ellipse((x0, y0, x1 + 8, y1 + 8), fill=INK)
        else:
            draw.polygon([tuple(p) for p in corners.tolist()], fill=INK)


def hatch(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    width = _pen(rng) // 2 + 2
    lo, hi = PAGE * 0.2, PAGE * 0.8
    if rng.random() < 0.3:  # zigzag
        xs = np.linspace(lo, hi, int(rng.integers(5, 10)))
        ys = np.where(np.arange(len(xs)) % 2 == 0, lo + 20, hi - 20) + rng.normal(0, 4, len(xs))
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=INK, width=width)
        return
    for direction in range(int(rng.integers(1, 3))):
        for offset in np.linspace(lo, hi, int(rng.integers(3, 7))):
            jitter = rng.normal(0, 3, 2)
            line = ((lo, offset + jitter[0]), (hi, offset + jitter[1]))
            if direction:
                line = ((offset + jitter[0], lo), (offset + jitter[1], hi))
            draw.line(line, fill=INK, width=width)


def dots(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    for x, y in rng.uniform(PAGE * 0.25, PAGE * 0.75, (int(rng.integers(3, 9)), 2)).tolist():
        r = float(rng.uniform(3, 8))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=INK)


# What damages a digit, drawn alone on an empty field (shot noise of nothing is nothing).
SPECKLES = ("impulse", "gaussian", "spatter", "fog")
RULES = ("lines", "bands", "zigzag", "dotted_line")


def speckle(rng: np.random.Generator) -> np.ndarray:
    """Noise alone, field 0..1: one of SPECKLES on an empty field, sometimes two."""
    empty = np.zeros((SIDE, SIDE), np.float32)
    out = corrupt(empty, str(rng.choice(SPECKLES)), rng)
    if rng.random() < 0.3:
        out = np.maximum(out, corrupt(empty, str(rng.choice(SPECKLES)), rng))
    return out


def rules(rng: np.random.Generator) -> np.ndarray:
    """Lines alone, field 0..1: one or two of RULES on an empty field, maybe with noise."""
    empty = np.zeros((SIDE, SIDE), np.float32)
    out = corrupt(empty, str(rng.choice(RULES)), rng)
    if rng.random() < 0.3:
        out = np.maximum(out, corrupt(empty, str(rng.choice(RULES)), rng))
    if rng.random() < 0.2:
        out = corrupt(out, "impulse", rng)
    return out


def texture(rng: np.random.Generator) -> np.ndarray:
    """A periodic pattern over the whole field, field 0..1: stripes, checks, a grid, a
    lattice of dots or waves, at a random period, angle and phase."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(2.5, 8.0)
    u = (cols * np.cos(angle) + rows * np.sin(angle)) / period + rng.random()
    v = (rows * np.cos(angle) - cols * np.sin(angle)) / period + rng.random()
    kind = int(rng.integers(5))
    if kind == 0:  # stripes
        out = (u % 1 < rng.uniform(0.2, 0.5)).astype(np.float32)
    elif kind == 1:  # checks
        out = ((np.floor(u) + np.floor(v)) % 2).astype(np.float32)
    elif kind == 2:  # a grid of lines
        width = rng.uniform(0.15, 0.35)
        out = ((u % 1 < width) | (v % 1 < width)).astype(np.float32)
    elif kind == 3:  # a lattice of dots
        out = ((np.abs(u - np.round(u)) < 0.25) & (np.abs(v - np.round(v)) < 0.25)).astype(
            np.float32
        )
    else:  # waves
        out = 0.5 + 0.5 * np.sin(2 * np.pi * u + rng.uniform(1, 3) * np.sin(2 * np.pi * v / 3))
    return out.astype(np.float32)


def damaged(rng: np.random.Generator) -> np.ndarray | None:
    """A mark of a drawn family as the reader gives it, then damaged, field 0..1."""
    family = str(rng.choice(list(DRAWN)))
    sheet = Image.new("L", (PAGE, PAGE), PAPER)
    DRAWN[family](ImageDraw.Draw(sheet), rng)
    mark = _one_field(np.asarray(sheet, np.float32))
    if mark is None:
        return None
    return corrupt(mark, str(rng.choice(list(CORRUPTIONS))), rng)


SMALL: dict[str, Callable[[np.random.Generator], np.ndarray | None]] = {
    "speckle": speckle,
    "rules": rules,
    "texture": texture,
    "damaged": damaged,
}


DRAWN: dict[str, Callable[[ImageDraw.ImageDraw, np.random.Generator], None]] = {
    "glyph": glyph,
    "lattice": lattice,
    "tangle": tangle,
    "blot": blot,
    "hatch": hatch,
    "dots": dots,
}
FAMILIES = (*DRAWN, "overlay", *SMALL)
# The drawn families keep their earlier proportions (0.78 of the marks); the small-page ones
# get 0.22, about as many as the marks of the digit-like families glyph and lattice lose.
SHARES = {
    "glyph": 0.2,
    "lattice": 0.22,
    "tangle": 0.08,
    "overlay": 0.12,
    "blot": 0.08,
    "hatch": 0.04,
    "dots": 0.04,
    "speckle": 0.06,
    "rules": 0.06,
    "texture": 0.04,
    "damaged": 0.06,
}


def page(family: str, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray | None:
    """One drawn page, grey levels, dark ink on light paper (None: nothing drawn)."""
    if family in SMALL:
        ink = SMALL[family](rng)
        return None if ink is None else 255.0 * (1.0 - ink)
    if family == "overlay":
        first, second = digits[rng.choice(len(digits), 2, replace=False)].astype(np.float32)
        shift = rng.integers(-4, 5, 2)
        ink = np.maximum(first, np.roll(second, tuple(shift.tolist()), axis=(0, 1)))
        return 255.0 - ink
    sheet = Image.new("L", (PAGE, PAGE), PAPER)
    DRAWN[family](ImageDraw.Draw(sheet), rng)
    return np.asarray(sheet, np.float32)


def field(family: str, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray | None:
    """The 28×28 field (0..1) the contract reads off one page of `family`; None when it
    reads as blank or as several pieces (a piece alone, one stroke, may be a 1)."""
    drawn = page(family, rng, digits)
    return None if drawn is None else _one_field(drawn)


def _one_field(gray: np.ndarray) -> np.ndarray | None:
    """The field of a page read as exactly one mark, else None."""
    try:
        reading = read_array(np.rint(gray).astype(np.float32))
    except ImageError:
        return None
    return reading.digits[0].image[..., 0] if len(reading.digits) == 1 else None


def _unit_rows(images: np.ndarray) -> np.ndarray:
    rows = images.reshape(len(images), -1).astype(np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-6)


def near_digit_threshold(digits: np.ndarray, rng: np.random.Generator) -> float:
    """Cosine similarity to the nearest other digit that most digits exceed."""
    sample = digits[rng.permutation(len(digits))[:DIGIT_SAMPLE]]
    units = _unit_rows(sample)
    similarity = units @ _unit_rows(digits).T
    similarity[similarity > 0.9999] = -1  # the digit itself
    return float(np.quantile(similarity.max(axis=1), NEAR_DIGIT_QUANTILE))


def make_non_digits(count: int, digits: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """Fields uint8 [n, 28, 28] (white on black, as MNIST) that show no digit: `count` are
    drawn, about half are kept, none of them close to any of `digits` (uint8 [m, 28, 28],
    the training digits, `labels` theirs)."""
    return np.concatenate(non_digit_sets(count, digits, labels, seed))


def non_digit_sets(
    count: int, digits: np.ndarray, labels: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """make_non_digits' fields in two sets: those of the drawn families (and overlays), which
    training draws anew each epoch with the digits (training/augment.py), and those of the
    SMALL families, which it shows as the reader gave them, beside the damaged digits (the
    same look as theirs: else the look alone would tell a damaged digit from damage)."""
    empty = np.zeros((0, 28, 28), np.uint8)
    if count <= 0:
        return empty, empty
    rng = np.random.default_rng([seed, 11])
    threshold = near_digit_threshold(digits, rng)
    digit_units = _unit_rows(digits)
    kept: dict[str, np.ndarray] = {}
    for family, share in SHARES.items():
        if family == "overlay" and len(np.unique(labels)) < 2:
            continue
        wanted = round(share * count)
        found: list[np.ndarray] = []
        for _ in range(int(OVERSAMPLE * wanted) + 10):
            if len(found) >= wanted:
                break
            pool = _pair_pool(digits, labels, rng) if family == "overlay" else digits
            if (one := field(family, rng, pool)) is not None:
                found.append(one)
        found = found[:wanted]
        if found:
            stack = np.stack(found)
            nearest = (_unit_rows(stack) @ digit_units.T).max(axis=1)
            kept[family] = np.rint(255 * np.clip(stack[nearest < threshold], 0, 1)).astype(np.uint8)
    drawn = [marks for family, marks in kept.items() if family not in SMALL]
    small = [marks for family, marks in kept.items() if family in SMALL]
    return (
        np.concatenate(drawn) if drawn else empty,
        np.concatenate(small) if small else empty,
    )


def _pair_pool(digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two training digits of different classes (the digits hold at least two)."""
    first, second = rng.choice(np.unique(labels), 2, replace=False)
    a = rng.choice(np.flatnonzero(labels == first))
    b = rng.choice(np.flatnonzero(labels == second))
    return digits[[a, b]]
