"""Erosion and dilation over a disk: a round pen tip, the same in every direction; percentiles
along an axis and medians equal to numpy's."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reader.filters import dilate_round, erode, erode_round, median, percentiles

SIDE = 120
WIDTH = 15  # the strokes' width in pixels
WINDOW = 9  # thins a stroke by 8 pixels across


def stroke(start: tuple[int, int], end: tuple[int, int]) -> np.ndarray:
    """A straight stroke WIDTH pixels wide, ink 1 on 0."""
    image = Image.new("L", (SIDE, SIDE), 0)
    ImageDraw.Draw(image).line([start, end], fill=255, width=WIDTH)
    return np.asarray(image, dtype=np.float32) / 255.0


def across_straight(ink: np.ndarray) -> float:
    """Width of the horizontal stroke through the middle, counted down the middle column."""
    return float(np.count_nonzero(ink[:, SIDE // 2] > 0.5))


def across_diagonal(ink: np.ndarray) -> float:
    """Width of the 45° stroke through the middle, counted along the other diagonal."""
    steps = np.arange(-SIDE // 4, SIDE // 4)
    return float(np.count_nonzero(ink[SIDE // 2 + steps, SIDE // 2 - steps] > 0.5)) * np.sqrt(2)


STRAIGHT = stroke((10, SIDE // 2), (SIDE - 10, SIDE // 2))
DIAGONAL = stroke((20, 20), (SIDE - 20, SIDE - 20))


def test_a_diagonal_stroke_thins_as_much_as_a_straight_one() -> None:
    assert across_diagonal(DIAGONAL) == pytest.approx(across_straight(STRAIGHT), abs=1.5)
    straight = across_straight(erode_round(STRAIGHT, WINDOW))
    diagonal = across_diagonal(erode_round(DIAGONAL, WINDOW))
    assert straight == WIDTH - (WINDOW - 1)
    assert diagonal == pytest.approx(straight, abs=1.5)
    # A square window reaches further across a diagonal: what the disk is there to avoid.
    assert across_diagonal(erode(DIAGONAL, WINDOW)) < straight - 2


def test_a_point_dilates_to_a_disk() -> None:
    point = np.zeros((41, 41), dtype=np.float32)
    point[20, 20] = 1.0
    grown = dilate_round(point, 21) > 0
    rows, cols = np.nonzero(grown)
    assert np.ptp(rows) == np.ptp(cols) == 20
    assert grown.sum() == pytest.approx(np.pi * 10.5**2, rel=0.05)
    assert not grown[10, 10]  # the square's corner is outside the disk


def test_dilation_is_erosion_of_the_background() -> None:
    values = np.random.default_rng(0).random((30, 40)).astype(np.float32)
    assert np.array_equal(dilate_round(values, 7), 1.0 - erode_round(1.0 - values, 7))


@pytest.mark.parametrize("q", [0.0, 15.000000000000002, 37.5, 50.0, 90.0, 100.0])
@pytest.mark.parametrize("shape", [(240, 256), (256, 7), (1, 5)])
def test_percentiles_along_an_axis_are_numpys(q: float, shape: tuple[int, int]) -> None:
    values = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    for axis in (0, 1):
        ours, numpys = percentiles(values, q, axis), np.percentile(values, q, axis=axis)
        assert ours.dtype == numpys.dtype
        np.testing.assert_array_equal(ours, numpys)


@pytest.mark.parametrize("size", [1, 2, 111, 112, 750 * 100])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_median_is_numpys(size: int, dtype: type) -> None:
    values: np.ndarray = np.random.default_rng(size).normal(100, 30, size).astype(dtype)
    assert median(values) == float(np.median(values))
    assert median(values.reshape(-1, 1)) == float(np.median(values))
