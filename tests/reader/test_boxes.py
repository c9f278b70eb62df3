"""One box order in the reader: (left, top, right, bottom), right and bottom exclusive."""

from __future__ import annotations

import numpy as np

from reader.boxes import bounds, box_of, gaps, shared_rows
from reader.components import find_components


def test_boxes_are_left_top_right_bottom() -> None:
    mask = np.zeros((20, 30), bool)
    mask[2:5, 3:10] = True  # rows 2-4, columns 3-9
    mask[8:12, 20:22] = True
    first, second = sorted(find_components(mask), key=lambda c: c.left)
    assert box_of(first) == (3, 2, 10, 5)
    assert bounds([first, second]) == (3, 2, 22, 12)
    assert gaps(box_of(first), box_of(second)) == (10, 3)  # empty columns, empty rows
    assert shared_rows(box_of(first), box_of(second)) == 0
    assert shared_rows((0, 0, 5, 10), (8, 4, 9, 20)) == 6
