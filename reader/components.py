"""Connected components of a binary mask (8-connected, scipy.ndimage's labelling), each kept
as its horizontal runs of pixels: what grouping cuts and measures digits with.

    components = find_components(mask)    # list of Component, largest first
    pixels = paint(mask.shape, components) # the mask of the chosen ones
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class Runs:
    """Horizontal runs of a mask: row, first column, end column (exclusive)."""

    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return self.ends - self.starts


@dataclass(frozen=True)
class Component:
    """One 8-connected piece of a mask: its runs and their summary."""

    runs: Runs
    area: int
    top: int
    left: int
    bottom: int  # exclusive
    right: int  # exclusive

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def centre(self) -> tuple[float, float]:
        """Centre of the pixels (row, column)."""
        lengths = self.runs.lengths
        cols = (self.runs.starts + self.runs.ends - 1) / 2.0
        return (
            float((self.runs.rows * lengths).sum() / self.area),
            float((cols * lengths).sum() / self.area),
        )


def find_runs(mask: np.ndarray) -> Runs:
    """The mask's runs in raster order (by row, then column)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    return Runs(rows, starts, ends)


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Each pixel's component number (1.., in raster order of their first pixel; 0 off the
    mask) and the count."""
    labels, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    return labels, int(count)


def find_components(mask: np.ndarray) -> list[Component]:
    """The 8-connected components of a boolean mask, largest first (ties in raster order)."""
    return components_of(mask, label(mask)[0])


def components_of(mask: np.ndarray, labels: np.ndarray) -> list[Component]:
    """The components of `mask` (whole components of `labels`), largest first."""
    runs = find_runs(mask)
    numbers = labels[runs.rows, runs.starts]
    if numbers.size == 0:
        return []
    if numbers[0] == numbers[-1] and (numbers == numbers[0]).all():  # one: a digit alone
        return [summarise_ordered(runs)]
    order = np.argsort(numbers, kind="stable")  # runs stay in raster order within each
    bounds = np.flatnonzero(np.diff(numbers[order])) + 1
    components = [
        summarise_ordered(Runs(runs.rows[i], runs.starts[i], runs.ends[i]))
        for i in np.split(order, bounds)
    ]
    return sorted(components, key=lambda c: -c.area)


def summarise_ordered(runs: Runs) -> Component:
    """`summarise` for runs in raster order: the first and last rows are the top and bottom."""
    return Component(
        runs=runs,
        area=int(runs.lengths.sum()),
        top=int(runs.rows[0]),
        left=int(runs.starts.min()),
        bottom=int(runs.rows[-1]) + 1,
        right=int(runs.ends.max()),
    )


def summarise(runs: Runs) -> Component:
    return Component(
        runs=runs,
        area=int(runs.lengths.sum()),
        top=int(runs.rows.min()),
        left=int(runs.starts.min()),
        bottom=int(runs.rows.max()) + 1,
        right=int(runs.ends.max()),
    )


def paint(shape: tuple[int, int], components: list[Component]) -> np.ndarray:
    """A boolean mask of the given shape with the components' pixels set."""
    mask = np.zeros(shape, dtype=bool)
    for component in components:
        runs = component.runs
        for row, start, end in zip(runs.rows, runs.starts, runs.ends, strict=True):
            mask[row, start:end] = True
    return mask
