"""Connected components of a binary mask, in numpy alone (no scipy in the base install).

The mask is cut into horizontal runs of True pixels; a run touches a run of the row above
when their columns overlap or meet at a corner (8-connectivity). Runs are joined by label
propagation over those contacts with pointer jumping, all vectorised, so the cost grows with
the number of runs, not of pixels: a digit's mask at analysis size has a few hundred.

    components = find_components(mask)    # list of Component, largest first
    pixels = paint(mask.shape, components) # the mask of the chosen ones
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)  # row-major: runs sorted by row, then column
    _, ends = np.nonzero(steps == -1)
    return Runs(rows, starts, ends)


def contacts(runs: Runs, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (run below, run above) that touch, 8-connected."""
    stride = width + 2  # keys never wrap from one row into the next
    start_keys = runs.rows * stride + runs.starts
    end_keys = runs.rows * stride + runs.ends
    above = (runs.rows - 1) * stride
    first = np.searchsorted(end_keys, above + runs.starts, side="left")
    stop = np.searchsorted(start_keys, above + runs.ends, side="right")
    counts = np.clip(stop - first, 0, None)
    below = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return below, np.repeat(first, counts) + offsets


def join(count: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root index of each of `count` nodes joined by the edges (a, b)."""
    parent = np.arange(count)
    while True:
        low = np.minimum(parent[a], parent[b])
        before = parent.copy()
        np.minimum.at(parent, parent[a], low)
        np.minimum.at(parent, parent[b], low)
        while True:  # pointer jumping: every node to its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        if np.array_equal(parent, before):
            return parent


def find_components(mask: np.ndarray) -> list[Component]:
    """The 8-connected components of a boolean mask, largest first."""
    runs = find_runs(mask)
    if len(runs.rows) == 0:
        return []
    roots = join(len(runs.rows), *contacts(runs, mask.shape[1]))
    order = np.argsort(roots, kind="stable")
    bounds = np.flatnonzero(np.diff(roots[order])) + 1
    pieces = np.split(order, bounds)
    components = [summarise(Runs(runs.rows[i], runs.starts[i], runs.ends[i])) for i in pieces]
    return sorted(components, key=lambda c: -c.area)


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
