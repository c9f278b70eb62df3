"""A digit's ink, cut from a page, to the model's 28×28 input the way MNIST was made.

1. cut: the chosen components' mask (dilated a little, so the strokes' soft edges come
   along) selects the ink; everything else on the page (specks, other digits, shadows'
   edges) stays out; the cut is trimmed to the ink's bounding box;
2. scale the longer side to 20 px with anti-aliasing, keeping the aspect ratio;
3. stroke: a pen much thicker or thinner than MNIST's (its stroke width outside the range
   MNIST's own digits span) is eroded or dilated toward MNIST's widths over a disk (a round
   pen tip: diagonal strokes thin as much as straight ones, and holes stay round), at 4× the
   final size, and scaled again;
4. paste in a 28×28 field with the centre of mass at the centre (MNIST's procedure; the
   centre measured on MNIST digits is (14.0, 14.0) in pixel indices).

A page under the analysis size (MNIST's 28×28) is cut whole and not resampled, so MNIST's
own digits pass through unchanged.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from contract.model import IMAGE_SIDE
from reader.boxes import Box
from reader.components import Component, paint
from reader.filters import dilate, dilate_round, erode_round, resize
from reader.page import Page

FIELD_SIZE = IMAGE_SIDE
DIGIT_BOX = 20  # MNIST's digits fit a 20×20 box inside the field
CENTRE = 14.0  # mean centre of mass of MNIST digits, in pixel indices
# Stroke width (2 × area / perimeter of the field's pixels over 0.5) of the 500 bundled
# MNIST digits: median 1.9 px, 5th percentile 1.36, 95th 2.96. Outside [THIN, THICK] the
# pen is brought to STROKE_TARGET: above MNIST's median, because eroding a felt pen all the
# way down lost more digits (pen_thick style on the bundled digits, one model, eroded over a
# disk: 97.4% at 2.0 and 2.2, 98.2% at 2.5 and 2.8; over a square, 97.4% at 2.5).
THICK_STROKE = 3.0
THIN_STROKE = 1.2
STROKE_TARGET = 2.5
STROKE_SCALE = 4  # strokes are eroded or dilated at this many times the final size
MASK_MARGIN = 3  # mask pixels (3×3 dilation): the strokes' soft edges beyond the threshold


def cut(page: Page, components: list[Component]) -> tuple[np.ndarray, Box]:
    """The components' soft ink, trimmed to its bounding box, and that box."""
    if page.small:
        return trim(page.ink, (0, 0, page.ink.shape[1], page.ink.shape[0]))
    top = max(min(c.top for c in components) - 1, 0)
    left = max(min(c.left for c in components) - 1, 0)
    bottom = min(max(c.bottom for c in components) + 1, page.mask.shape[0])
    right = min(max(c.right for c in components) + 1, page.mask.shape[1])
    keep = dilate(
        paint(page.mask.shape, components)[top:bottom, left:right].astype(np.float32), MASK_MARGIN
    )
    height, width = page.ink.shape
    box = (
        math.floor(left * page.scale),
        math.floor(top * page.scale),
        min(math.ceil(right * page.scale), width),
        min(math.ceil(bottom * page.scale), height),
    )
    ink = page.ink[box[1] : box[3], box[0] : box[2]]
    keep = resize(keep, ink.shape[0], ink.shape[1], smooth=False)
    return trim(ink * keep, box)


def trim(ink: np.ndarray, box: Box) -> tuple[np.ndarray, Box]:
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ink, box
    left, top = box[0] + int(cols[0]), box[1] + int(rows[0])
    trimmed = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return trimmed, (left, top, left + trimmed.shape[1], top + trimmed.shape[0])


def to_field(ink: np.ndarray, resample: bool = True) -> np.ndarray:
    """A digit's trimmed ink to the float32 [28, 28] field."""
    if not resample:
        return centre_by_mass(ink)
    digit = fit_digit_box(ink)
    width = stroke_width(digit)
    if not THIN_STROKE <= width <= THICK_STROKE:
        digit = fit_digit_box(restroke(ink, width))
    return centre_by_mass(digit)


def fit_digit_box(digit: np.ndarray) -> np.ndarray:
    """Scale so the longer side is DIGIT_BOX pixels, keeping the aspect ratio."""
    height, width = digit.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32, copy=False), mode="F").resize(
        size, Image.Resampling.LANCZOS
    )
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def outline(field: np.ndarray) -> tuple[int, int]:
    """The pixels over 0.5: how many, and how many sides they share with the others (the
    perimeter)."""
    solid = field > 0.5
    inside = np.count_nonzero(solid[1:] != solid[:-1]) + np.count_nonzero(
        solid[:, 1:] != solid[:, :-1]
    )
    border = np.count_nonzero(solid[[0, -1]]) + np.count_nonzero(solid[:, [0, -1]])
    return int(np.count_nonzero(solid)), int(inside + border)


def stroke_width(field: np.ndarray) -> float:
    """Mean stroke width in pixels: 2 × area / perimeter of the pixels over 0.5."""
    area, edges = outline(field)
    return 2.0 * area / max(edges, 1)


def stroke_length(field: np.ndarray) -> float:
    """Length of the strokes over the digit box: half the perimeter of the pixels over 0.5."""
    return outline(field)[1] / 2 / DIGIT_BOX


def restroke(ink: np.ndarray, width: float) -> np.ndarray:
    """The ink with its strokes eroded or dilated toward STROKE_TARGET (at STROKE_SCALE × the
    final size), trimmed again."""
    scale = DIGIT_BOX * STROKE_SCALE / max(ink.shape[0], ink.shape[1])
    large = resize(ink, max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale)))
    radius = round((width - STROKE_TARGET) * STROKE_SCALE / 2)
    if radius > 0:
        changed = erode_round(large, 2 * radius + 1)
    else:
        changed = dilate_round(np.pad(large, -radius), 1 - 2 * radius)
    trimmed, _ = trim(np.clip(changed, 0.0, 1.0), (0, 0, 0, 0))
    return trimmed if trimmed.any() else ink


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place in a 28×28 field with the centre of mass at CENTRE (integer shift, as MNIST)."""
    height, width = digit.shape
    if height > FIELD_SIZE or width > FIELD_SIZE:  # a small page's digit wider than the field
        digit = fit_digit_box(digit)
        height, width = digit.shape
    # Moments from the row and column profiles (no index grids), summed in float64.
    row_mass = digit.sum(axis=1, dtype=np.float64)
    col_mass = digit.sum(axis=0, dtype=np.float64)
    mass = float(digit.sum())
    top = round(CENTRE - float(row_mass @ np.arange(height)) / mass)
    left = round(CENTRE - float(col_mass @ np.arange(width)) / mass)
    # Keep the whole digit inside the field even when its mass sits near one edge.
    top = min(max(top, 0), FIELD_SIZE - height)
    left = min(max(left, 0), FIELD_SIZE - width)
    field = np.zeros((FIELD_SIZE, FIELD_SIZE), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field
