"""Connected components: the vectorised runs against a plain flood fill, on random masks."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from reader.components import find_components, paint


def flood_fill_areas(mask: np.ndarray) -> list[int]:
    """Areas of the 8-connected components, by breadth-first search: the reference."""
    seen = np.zeros_like(mask)
    areas = []
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        seen[start] = True
        queue, area = deque([start]), 0
        while queue:
            row, col = queue.popleft()
            area += 1
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    r, c = row + dr, col + dc
                    inside = 0 <= r < mask.shape[0] and 0 <= c < mask.shape[1]
                    if inside and mask[r, c] and not seen[r, c]:
                        seen[r, c] = True
                        queue.append((r, c))
        areas.append(area)
    return sorted(areas, reverse=True)


@pytest.mark.parametrize("density", [0.1, 0.35, 0.55])
@pytest.mark.parametrize("seed", range(3))
def test_components_match_a_flood_fill(density: float, seed: int) -> None:
    mask = np.random.default_rng(seed).random((40, 50)) < density
    components = find_components(mask)
    assert [c.area for c in components] == flood_fill_areas(mask)
    np.testing.assert_array_equal(paint(mask.shape, components), mask)


def test_diagonal_neighbours_are_connected() -> None:
    mask = np.eye(6, dtype=bool)
    (component,) = find_components(mask)
    assert (component.top, component.left, component.bottom, component.right) == (0, 0, 6, 6)


def test_a_u_shape_is_one_component_with_its_box_and_centre() -> None:
    mask = np.zeros((10, 10), dtype=bool)
    mask[2:8, 2] = mask[2:8, 7] = mask[7, 2:8] = True  # two arms joined only at the bottom
    (component,) = find_components(mask)
    assert component.area == 16
    assert (component.height, component.width) == (6, 6)
    assert component.centre[1] == pytest.approx(4.5)


def test_empty_mask_has_no_components() -> None:
    assert find_components(np.zeros((5, 5), dtype=bool)) == []
