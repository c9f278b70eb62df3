"""Boxes, in one order everywhere in the reader: (left, top, right, bottom), right and bottom
exclusive, in the pixels of the image they were measured on (the mask's, the ink's or the
upload's: the name of the variable says which)."""

from __future__ import annotations

from collections.abc import Iterable

from reader.components import Component

Box = tuple[int, int, int, int]  # left, top, right, bottom (exclusive)


def bounds(components: Iterable[Component]) -> Box:
    """The box round the components."""
    group = list(components)
    return (
        min(c.left for c in group),
        min(c.top for c in group),
        max(c.right for c in group),
        max(c.bottom for c in group),
    )


def box_of(component: Component) -> Box:
    return (component.left, component.top, component.right, component.bottom)


def gaps(a: Box, b: Box) -> tuple[int, int]:
    """Empty columns and empty rows between two boxes (0 where they overlap or touch)."""
    columns = max(0, b[0] - a[2], a[0] - b[2])
    rows = max(0, b[1] - a[3], a[1] - b[3])
    return columns, rows


def shared_rows(a: Box, b: Box) -> int:
    """Rows the two boxes have in common."""
    return max(0, min(a[3], b[3]) - max(a[1], b[1]))
