"""Small image filters on float arrays, in numpy and Pillow: resizing, grey erosion and
dilation (over a square, separable, so a k×k window costs 2k per pixel; or over a disk), a
median filter, Otsu's threshold."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image


def resize(values: np.ndarray, height: int, width: int, smooth: bool = True) -> np.ndarray:
    """float32 values resized: BOX when shrinking (an average), BILINEAR when enlarging."""
    if values.shape == (height, width):
        return values.astype(np.float32, copy=False)
    shrinking = height <= values.shape[0] and width <= values.shape[1]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    if not smooth:
        method = Image.Resampling.NEAREST
    image = Image.fromarray(values.astype(np.float32, copy=False), mode="F")
    return np.asarray(image.resize((width, height), method), dtype=np.float32)


def shrink_to(values: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """Box-averaged so that the longer side is at most `side`; and the scale (input px per px)."""
    height, width = values.shape
    scale = max(height, width) / side
    if scale <= 1.0:
        return values, 1.0
    size = (max(1, round(height / scale)), max(1, round(width / scale)))
    return resize(values, *size), scale


def _rank(values: np.ndarray, size: int, reduce: Callable[..., np.ndarray]) -> np.ndarray:
    if size <= 1:
        return values
    half = size // 2
    padded = np.pad(values, half, mode="edge")
    rows = reduce(sliding_window_view(padded, size, axis=0), axis=-1)
    return reduce(sliding_window_view(rows, size, axis=1), axis=-1)


def erode(values: np.ndarray, size: int) -> np.ndarray:
    """Minimum over a size×size window (grey erosion), edges repeated."""
    return _rank(values, size, np.min)


def dilate(values: np.ndarray, size: int) -> np.ndarray:
    """Maximum over a size×size window (grey dilation), edges repeated."""
    return _rank(values, size, np.max)


def _windows(values: np.ndarray, size: int) -> np.ndarray:
    """Every pixel's size×size window, edges repeated: [height, width, size, size] (a view,
    for small images: reducing it gathers them all)."""
    return sliding_window_view(np.pad(values, size // 2, mode="edge"), (size, size))


def _disk_rank(values: np.ndarray, size: int, reduce: Callable[..., np.ndarray]) -> np.ndarray:
    """`reduce` over a disk of diameter `size`."""
    if size <= 1:
        return values
    half = size // 2
    rows, cols = np.mgrid[-half : half + 1, -half : half + 1]
    disk = rows**2 + cols**2 <= (half + 0.5) ** 2
    return reduce(_windows(values, size)[..., disk], axis=-1)


def erode_round(values: np.ndarray, size: int) -> np.ndarray:
    """Minimum over a disk `size` pixels across (a round pen tip), edges repeated: thins
    strokes by the same width whatever their direction, and leaves holes round."""
    return _disk_rank(values, size, np.min)


def dilate_round(values: np.ndarray, size: int) -> np.ndarray:
    """Maximum over a disk `size` pixels across, edges repeated."""
    return _disk_rank(values, size, np.max)


def median_filter(values: np.ndarray, size: int) -> np.ndarray:
    """Median over a size×size window, edges repeated (for small images)."""
    return np.median(_windows(values, size).reshape(*values.shape, size * size), axis=-1)


def otsu(values: np.ndarray, bins: int = 64) -> float:
    """Otsu's threshold of the values (the split that maximises the between-class variance)."""
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return high
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)
    mass = np.cumsum(counts * centres)
    total, total_mass = weight[-1], mass[-1]
    below, above = weight[:-1], total - weight[:-1]
    valid = (below > 0) & (above > 0)
    mean_below = np.divide(mass[:-1], below, out=np.zeros(bins - 1), where=valid)
    mean_above = np.divide(total_mass - mass[:-1], above, out=np.zeros(bins - 1), where=valid)
    between = np.where(valid, below * above * (mean_below - mean_above) ** 2, -1.0)
    return float(edges[1 + int(np.argmax(between))])
