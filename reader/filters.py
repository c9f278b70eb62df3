"""Small image filters on float arrays: resizing in Pillow; grey erosion, dilation and the
median over a square or a disk in scipy.ndimage, edges repeated (a window at the border sees
the border's own values again, as a photo's paper goes on past its edge)."""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image
from scipy import ndimage

EDGES = "nearest"  # scipy.ndimage's name for repeating the edge


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


def erode(values: np.ndarray, size: int) -> np.ndarray:
    """Minimum over a size×size window (grey erosion)."""
    return ndimage.minimum_filter(values, size, mode=EDGES) if size > 1 else values


def dilate(values: np.ndarray, size: int) -> np.ndarray:
    """Maximum over a size×size window (grey dilation)."""
    return ndimage.maximum_filter(values, size, mode=EDGES) if size > 1 else values


@cache
def disk(size: int) -> np.ndarray:
    """A disk `size` pixels across (odd), as a boolean footprint."""
    half = size // 2
    rows, cols = np.mgrid[-half : half + 1, -half : half + 1]
    return rows**2 + cols**2 <= (half + 0.5) ** 2


def erode_round(values: np.ndarray, size: int) -> np.ndarray:
    """Minimum over a disk `size` pixels across (a round pen tip): thins strokes by the same
    width whatever their direction, and leaves holes round."""
    return ndimage.minimum_filter(values, footprint=disk(size), mode=EDGES) if size > 1 else values


def dilate_round(values: np.ndarray, size: int) -> np.ndarray:
    """Maximum over a disk `size` pixels across."""
    return ndimage.maximum_filter(values, footprint=disk(size), mode=EDGES) if size > 1 else values


def median_filter(values: np.ndarray, size: int) -> np.ndarray:
    """Median over a size×size window (size odd: the middle value, nothing averaged)."""
    return ndimage.median_filter(values, size, mode=EDGES)


def percentiles(values: np.ndarray, q: float, axis: int) -> np.ndarray:
    """np.percentile(values, q, axis=axis) (linear interpolation) for a 2-D array, by a
    full sort: numpy's two-point partition of each line costs three sorts."""
    ordered = np.sort(values, axis=axis)
    position = q / 100 * (values.shape[axis] - 1)
    below = int(position)
    above = min(below + 1, values.shape[axis] - 1)
    low, high = np.take(ordered, below, axis=axis), np.take(ordered, above, axis=axis)
    step, weight = high - low, position - below
    # numpy's own interpolation (lib/_function_base_impl._lerp), so the results are equal.
    return high - step * (1 - weight) if weight >= 0.5 else low + step * weight


def median(values: np.ndarray | float) -> float:
    """np.median(values), by a partition at one place (numpy's partition at the two middle
    places costs six times as much on a page)."""
    flat = np.asarray(values).ravel()
    middle = flat.size // 2
    part = np.partition(flat, middle)
    if flat.size % 2:
        return float(part[middle])
    # The two middle values averaged as numpy does (np.mean, in the values' own type).
    return float(np.mean(np.array([part[:middle].max(), part[middle]], dtype=flat.dtype)))
