"""Training-time augmentation: the same digit as other writers and pens would make it.

Each training image, freshly for every epoch, gets:

- a felt pen: for some, a closing (dilation, then erosion, by 1 to 3 pixels), which fills the
  small loops and gaps a broad pen closes (of 4, 6, 8, 9) while strokes keep their width;
- stroke thickness: a partial 3×3 dilation (a broader pen) or erosion (a finer one);
- slant (shear), a small rotation, scale and translation: one affine map per image;
- elastic distortion: a smooth random displacement field (a wobbly hand), a 4×4 grid of
  random offsets interpolated over the image;
- blur: a partial 3×3 Gaussian (a soft pen, a blurred photo);

then its ink peak is set back to 1, as preprocessing leaves every upload. Damage (noise,
lines, heavy blur, edges only, low resolution, broken strokes) is training/corrupt.py's: it
must go through the reader before the model sees it, so it is made once, not here. Pure numpy on
float [n, 28, 28] images in 0..1, deterministic for a numpy Generator. It runs in the input
pipeline (training.train), never in the model: the exported SavedModel has no trace of it.
"""

from __future__ import annotations

import numpy as np

SIDE = 28
CENTRE = (SIDE - 1) / 2
ROTATION_DEGREES = 12.0  # ± uniform
SLANT = 0.25  # ± shear of x by y: about ±14° of slant
SCALE = (0.85, 1.1)
SHIFT_PIXELS = 2.0  # ± uniform, each axis
ELASTIC_PIXELS = 0.9  # standard deviation of the grid's offsets
ELASTIC_GRID = 4
THICKER, THINNER = 0.3, 0.2  # probabilities of a broader and a finer pen
THINNEST = 0.6  # at most this share of a full 3×3 erosion (more deletes thin strokes)
BLUR = 0.3  # probability of a blur
FELT = 0.25  # probability of a felt pen's closed loops


def augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Float images [n, 28, 28] in 0..1 as other writers and pens would have drawn them."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise ValueError(f"expected images [n, 28, 28], got {list(images.shape)}")
    out = pen_width(felt_pen(images, rng), rng)
    out = warp(out, source_coordinates(len(images), rng))
    out = soften(out, rng)
    peak = out.max(axis=(1, 2), keepdims=True)
    return np.divide(out, peak, out=out, where=peak > 0)


def felt_pen(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Close a share of the images by 1 to 3 pixels: their small loops and gaps filled."""
    steps = np.where(rng.random(len(images)) < FELT, rng.integers(1, 4, len(images)), 0)
    out = images.copy()
    for size in (1, 2, 3):
        picked = np.flatnonzero(steps == size)
        closed = images[picked]
        for _ in range(size):
            closed = _neighbourhood(closed).max(axis=0)
        for _ in range(size):
            closed = _neighbourhood(closed).min(axis=0)
        out[picked] = closed
    return out


def pen_width(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blend each image toward its dilation or erosion (or leave it), a random share."""
    n = len(images)
    choice = rng.random(n)
    share = rng.random(n).astype(np.float32)
    thicker = _per_image(np.where(choice < THICKER, share, 0.0))
    thinner = _per_image(np.where(choice > 1 - THINNER, THINNEST * share, 0.0))
    shifted = _neighbourhood(images)
    return (
        images + thicker * (shifted.max(axis=0) - images) + thinner * (shifted.min(axis=0) - images)
    )


def soften(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blend a random share of the images toward their 3×3 Gaussian blur."""
    n = len(images)
    weight = _per_image(np.where(rng.random(n) < BLUR, rng.uniform(0.3, 1.0, n), 0.0))
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    rows = (padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]) / 4
    blurred = (rows[:, :, :-2] + 2 * rows[:, :, 1:-1] + rows[:, :, 2:]) / 4
    return images + weight * (blurred - images)


def source_coordinates(n: int, rng: np.random.Generator) -> np.ndarray:
    """Where each output pixel of n images reads its input, [n, 2 (row, col), 28, 28]: the
    inverse of rotation · slant · scale about the centre, a shift, and an elastic field."""
    angle = np.deg2rad(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES, n))
    slant = rng.uniform(-SLANT, SLANT, n)
    scale = rng.uniform(*SCALE, n)
    shift = rng.uniform(-SHIFT_PIXELS, SHIFT_PIXELS, (n, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    # Forward map on (row, col) offsets from the centre: scale, then slant, then rotation.
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shear = np.zeros((n, 2, 2))
    shear[:, 0, 0] = shear[:, 1, 1] = 1.0
    shear[:, 1, 0] = -slant  # the column moves with the row: a slant
    forward = rotation @ shear * scale[:, np.newaxis, np.newaxis]
    inverse = np.linalg.inv(forward)
    grid = np.mgrid[0:SIDE, 0:SIDE].reshape(2, -1) - CENTRE  # [2, 784]: (row, col) offsets
    offsets = grid[np.newaxis] - shift[:, :, np.newaxis]
    source = inverse @ offsets + CENTRE  # [n, 2, 784]
    return source.reshape(n, 2, SIDE, SIDE) + elastic_field(n, rng)


def elastic_field(n: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random displacements [n, 2, 28, 28]: a coarse grid of offsets, interpolated."""
    coarse = rng.normal(0.0, ELASTIC_PIXELS, (n, 2, ELASTIC_GRID, ELASTIC_GRID))
    spread = _interpolation(ELASTIC_GRID, SIDE)  # [28, 4]
    return spread @ coarse @ spread.T


def warp(images: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Bilinear sampling of each image at its source coordinates; outside the image is 0."""
    n = len(images)
    # A zero border of 2 pixels: coordinates clipped into it read 0, no mask needed.
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2))).ravel()
    wide = SIDE + 4
    rows = np.clip(source[:, 0], -2, SIDE).astype(np.float32)
    cols = np.clip(source[:, 1], -2, SIDE).astype(np.float32)
    top, left = np.floor(rows), np.floor(cols)
    down, right = rows - top, cols - left
    first = (
        np.arange(n)[:, np.newaxis, np.newaxis] * wide * wide
        + (top.astype(np.int64) + 2) * wide
        + (left.astype(np.int64) + 2)
    )
    upper = padded[first] * (1 - right) + padded[first + 1] * right
    lower = padded[first + wide] * (1 - right) + padded[first + wide + 1] * right
    return (upper * (1 - down) + lower * down).astype(np.float32)


def _neighbourhood(images: np.ndarray) -> np.ndarray:
    """The 9 shifts of each image by one pixel or none, [9, n, 28, 28] (zeros outside)."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    return np.stack([padded[:, r : r + SIDE, c : c + SIDE] for r in range(3) for c in range(3)])


def _interpolation(points: int, size: int) -> np.ndarray:
    """Linear interpolation weights [size, points] from `points` evenly spread values."""
    where = np.linspace(0, points - 1, size)
    weights = np.maximum(0.0, 1.0 - np.abs(where[:, np.newaxis] - np.arange(points)))
    return weights


def _per_image(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float32)[:, np.newaxis, np.newaxis]
