"""A page (an upload's grey levels) analysed: where the ink is, and how much of it.

Two images come out of it, on purpose different:

- `ink`, float32 0..1 at the work size: what the model will see, soft. The polarity is the
  extreme that stands out of the paper; uneven light is flattened (the paper's brightness,
  a grey opening of a coarse copy, is divided out, so a shadow or a gradient does not look
  like ink; one level when the paper round the page's edge is evenly lit, or the opening's
  raised part is a thick pen's blot, so where a broad pen's strokes meet is not paper);
  paper lines that cross the whole page are subtracted; a floor at a few standard
  deviations of the sensor noise is cut to 0; the ink's core (a high percentile inside the
  mask) is scaled to 1.
- `mask`, boolean at ANALYSIS_SIDE: where the ink is, for finding the digits. A box-averaged
  copy (noise averages out) is thresholded by hysteresis: components over a low threshold
  that reach a high one (each the larger of a multiple of the noise and a fraction of the
  ink's peak); specks dropped, they are `components`, largest first.

Pages with a side under SMALL_SIDE (MNIST's own 28×28 digits, icons) skip the analysis:
their ink is normalised against the border's median as MNIST was, and the mask is the ink
itself, so MNIST digits pass through unchanged.

    page = analyse(gray)                 # gray: float32 grey levels, either polarity
    page.ink, page.mask, page.components, page.scale (work px per mask px)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reader.components import Component, components_of, find_components, label
from reader.filters import (
    dilate,
    erode,
    median,
    median_filter,
    percentiles,
    resize,
    shrink_to,
)
from reader.image_errors import NoInk

SMALL_SIDE = 64  # smaller pages skip the analysis (MNIST-size uploads)
ANALYSIS_SIDE = 256  # longer side of the mask's image
BACKGROUND_SIDE = 64  # longer side of the coarse copy the paper's brightness comes from
# Grey opening window at BACKGROUND_SIDE: wider than a stroke, so strokes vanish from the
# paper's estimate (9 of 64 px: a stroke a seventh of the page wide still does), narrow
# enough to follow a shadow's edge (phone_shadow style on the bundled digits: 95.2% with
# 9 of 40 px, 96.8% with 9 of 64).
BACKGROUND_WINDOW = 9
FLAT_BACKGROUND = 12.0  # grey levels: paper varying less than this is taken as uniform
# The opening's range over the ink's (its 5th percentile to the page's peak): under this
# fraction it is light (a gradient, a shadow up to 60% deep); near 1 it is a thick pen's blot
# wider than the window, which the opening took for paper: then the paper is one level ...
UNEVEN_RANGE = 0.7
# ... unless the raised part (over the middle of that range) covers this share of the page:
# a deep shadow over a third of the photo or more (phone_shadow style on 500 bundled digits:
# 0.35 to 0.46 where the range alone said blot, 7 of them, 3 refused as specks), never a
# blot (pen_thick: 0.06 to 0.29).
MAX_BLOT_SHARE = 0.32
MIN_CONTRAST = 40.0  # grey levels (of 255) between paper and ink, else "no ink"
NOISE_FLOOR_SIGMAS = 3.0  # ink values below this many noise std devs are paper
MAX_NOISE_FLOOR = 0.3
MASK_NOISE_SIGMAS = 4.0  # the mask's threshold: at least this many noise std devs ...
MASK_PEAK_FRACTION = 0.3  # ... and at least this fraction of the ink's peak, somewhere
MASK_LOW_FRACTION = 0.2  # where it reaches that, the mask extends down to this fraction
INK_CORE_PERCENTILE = 90.0  # of the ink inside the mask: the level scaled to 1
LINE_COVERAGE = 0.85  # a row (column) inked along this fraction of its length is a paper line
SPECK_FRACTION = 0.01  # components under this fraction of the largest one are specks
MIN_SPECK_AREA = 3  # pixels of the mask; smaller pieces are specks whatever the largest
BORDER_FRACTION = 0.05  # small pages: outer band whose median is the background level
# The paper's level for the polarity: a median over 13 of 20 px, two thirds of the page (a
# big digit's strokes fill half of a smaller window), still following a shadow's edge.
POLARITY_SIDE = 20
POLARITY_WINDOW = 13
POLARITY_PERCENTILE = 0.05  # the ink's extreme: a percentile, so lone hot pixels do not vote
NOISE_SAMPLE = 128  # the noise is measured on about this many rows and columns
MAD_TO_SIGMA = 1.4826  # a normal distribution's std dev from its median absolute deviation


@dataclass(frozen=True)
class Page:
    """One upload's ink (soft, work size), mask (analysis size) and the mask's components."""

    ink: np.ndarray
    mask: np.ndarray
    components: list[Component]
    scale: float  # ink pixels per mask pixel
    noise: float  # the background's noise std dev, in units of the ink's core level
    lines: int  # paper lines (rows and columns) subtracted
    small: bool = False  # a page under SMALL_SIDE: its ink is taken whole, as MNIST's


def analyse(gray: np.ndarray) -> Page:
    """The page's ink, mask and components; NoInk when there is nothing darker (or lighter)
    than the paper."""
    gray = gray.astype(np.float32, copy=False)
    if min(gray.shape) < SMALL_SIDE:
        return small_page(gray)
    oriented = ink_bright(gray)
    paper = paper_level(oriented)
    contrast = np.maximum(255.0 - paper, 1.0)
    ink = (oriented - paper) / contrast  # unclipped: the paper's noise is centred on 0
    sigma = noise_sigma(ink)
    ink, lines = subtract_lines(ink, sigma)
    coarse, scale = shrink_to(ink, ANALYSIS_SIDE)
    check_contrast(coarse, contrast)
    mask, components = ink_mask(coarse)
    if not components:
        raise NoInk("no digit found: only isolated specks of ink")
    core = ink_core(ink, mask, scale)
    floor = min(NOISE_FLOOR_SIGMAS * sigma / core, MAX_NOISE_FLOOR)
    scaled = ink / core  # then in place: one full-size array, not four
    scaled -= floor
    scaled /= 1.0 - floor
    np.clip(scaled, 0.0, 1.0, out=scaled)
    return Page(scaled.astype(np.float32, copy=False), mask, components, scale, sigma / core, lines)


def ink_bright(gray: np.ndarray) -> np.ndarray:
    """The page with its ink brighter than the paper (MNIST's polarity): the ink is the
    extreme that stands further out of the paper (a median over a window wider than strokes:
    the paper's level whichever the polarity, as long as ink covers under half of it)."""
    coarse, _ = shrink_to(gray, ANALYSIS_SIDE)
    paper = median_filter(shrink_to(coarse, POLARITY_SIDE)[0], POLARITY_WINDOW)
    local = resize(paper, *coarse.shape)
    detail = coarse - local
    darkest = -float(np.percentile(detail, POLARITY_PERCENTILE))
    brightest = float(np.percentile(detail, 100.0 - POLARITY_PERCENTILE))
    return 255.0 - gray if darkest > brightest else gray


def paper_level(oriented: np.ndarray) -> np.ndarray | float:
    """The paper's level under the ink: one number when the light is even, else a grey
    opening (strokes removed) of a coarse copy."""
    coarse, _ = shrink_to(oriented, BACKGROUND_SIDE)
    opened = dilate(erode(coarse, BACKGROUND_WINDOW), BACKGROUND_WINDOW)
    # One level: the copy's median (unbiased: the opening's minimum sinks into the noise),
    # unless ink fills so much of the page that the median is ink.
    level = min(median(coarse), median(opened) + FLAT_BACKGROUND)
    low, high = np.percentile(opened, (5, 95))
    peak = float(coarse.max())
    if high - low < FLAT_BACKGROUND or even_border(opened) or blot(opened, low, high, peak):
        return level
    smooth = (erode(opened, 3) + dilate(opened, 3)) / 2  # soften the opening's plateaus
    return resize(smooth, *oriented.shape)


def even_border(opened: np.ndarray) -> bool:
    """The paper round the page's edge is evenly lit: what the opening raised inside is ink.
    (Light that varies, a gradient or a shadow's edge, reaches the edge: a digit seldom does.)"""
    ring = np.concatenate([opened[0], opened[-1], opened[1:-1, 0], opened[1:-1, -1]])
    low, high = np.percentile(ring, (5, 95))
    return bool(high - low < FLAT_BACKGROUND)


def blot(opened: np.ndarray, low: float, high: float, peak: float) -> bool:
    """The opening's raised part is ink (a thick pen wider than the window), not light."""
    raised = float(np.mean(opened > (low + high) / 2))
    return high - low > UNEVEN_RANGE * (peak - low) and raised < MAX_BLOT_SHARE


def check_contrast(coarse: np.ndarray, contrast: np.ndarray | float) -> None:
    """The ink's peak, box-averaged (noise is not ink), in grey levels over the paper."""
    peak = float(coarse.max()) * median(contrast)
    if peak < MIN_CONTRAST:
        raise NoInk(
            f"no digit found: the image is blank (ink contrast {peak:.0f} of 255, "
            f"at least {MIN_CONTRAST:.0f} needed)"
        )


def noise_sigma(values: np.ndarray) -> float:
    """The paper's noise: the median absolute deviation of all values (the ink is a minority)."""
    step = max(1, values.shape[0] // NOISE_SAMPLE, values.shape[1] // NOISE_SAMPLE)
    sample = values[::step, ::step]
    centre = median(sample)
    return MAD_TO_SIGMA * median(np.abs(sample - centre))


def subtract_lines(ink: np.ndarray, sigma: float) -> tuple[np.ndarray, int]:
    """Remove ruled or squared paper's lines: a row (column) inked along LINE_COVERAGE of its
    length has that common level subtracted; a digit crossing it keeps what is above it.
    The levels come from a copy box-averaged along the lines (a line stays whole, noise
    averages out, and a percentile of 256 values per row is cheap)."""
    lines = 0
    height, width = ink.shape
    for axis in (1, 0):
        along = (
            (height, min(width, ANALYSIS_SIDE))
            if axis == 1
            else (min(height, ANALYSIS_SIDE), width)
        )
        level = percentiles(resize(ink, *along), 100 * (1 - LINE_COVERAGE), axis=axis)
        ruled = level > max(4 * sigma, 0.05)
        if ruled.any():
            lines += int(np.count_nonzero(np.diff(np.concatenate([[0], ruled])) == 1))
            removal = np.where(ruled, level, 0.0).astype(np.float32)
            ink = ink - (removal[:, None] if axis == 1 else removal[None, :])
    return ink, lines


def ink_mask(coarse: np.ndarray) -> tuple[np.ndarray, list[Component]]:
    """Hysteresis: components over the low threshold that reach the high one somewhere (a
    thin, faint digit stays whole beside a bold mark), specks dropped."""
    noise = MASK_NOISE_SIGMAS * noise_sigma(coarse)
    peak = float(coarse.max())
    labels, count = label(coarse > max(noise, MASK_LOW_FRACTION * peak))
    if count == 0:
        return np.zeros(coarse.shape, dtype=bool), []
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    areas[0] = 0
    reached = np.zeros(count + 1, dtype=bool)
    reached[labels[coarse > max(noise, MASK_PEAK_FRACTION * peak)]] = True
    kept = reached & (areas >= max(MIN_SPECK_AREA, SPECK_FRACTION * areas.max()))
    kept[0] = False
    mask = kept[labels]
    return mask, components_of(mask, labels)


def ink_core(ink: np.ndarray, mask: np.ndarray, scale: float) -> float:
    """The ink's core level: a high percentile of the ink under the mask."""
    rows = np.minimum((np.arange(ink.shape[0]) / scale).astype(int), mask.shape[0] - 1)
    cols = np.minimum((np.arange(ink.shape[1]) / scale).astype(int), mask.shape[1] - 1)
    inked = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if inked[0].size == 0:
        return 1.0
    # Only the mask's bounding box, in ink pixels (rows and cols grow monotonically).
    top, bottom = np.searchsorted(rows, [inked[0][0], inked[0][-1] + 1])
    left, right = np.searchsorted(cols, [inked[1][0], inked[1][-1] + 1])
    under = ink[top:bottom, left:right][mask[rows[top:bottom]][:, cols[left:right]]]
    return max(float(np.percentile(under, INK_CORE_PERCENTILE)), 1e-3) if under.size else 1.0


def small_page(gray: np.ndarray) -> Page:
    """MNIST-size uploads: background from the border's median, ink peak to 1, noise floor."""
    band = max(1, round(min(gray.shape) * BORDER_FRACTION))
    border = np.concatenate(
        [gray[:band].ravel(), gray[-band:].ravel(), gray[:, :band].ravel(), gray[:, -band:].ravel()]
    )
    background = median(border)
    lowest, highest = float(gray.min()), float(gray.max())
    if background - lowest > highest - background:
        gray, border = 255.0 - gray, 255.0 - border  # dark ink on light paper
        background, highest = 255.0 - background, 255.0 - lowest
    contrast = highest - background
    if contrast < MIN_CONTRAST:
        raise NoInk(
            f"no digit found: the image is blank (ink contrast {contrast:.0f} of 255, "
            f"at least {MIN_CONTRAST:.0f} needed)"
        )
    ink = np.clip((gray - background) / contrast, 0.0, 1.0)
    noise = float(np.std(np.clip(border - background, 0, None) / contrast))
    floor = min(4.0 * noise, MAX_NOISE_FLOOR)
    if floor > 0:
        ink = np.clip((ink - floor) / (1.0 - floor), 0.0, 1.0)
    ink = ink.astype(np.float32, copy=False)
    mask = ink > 0
    components = find_components(mask)
    if not components:
        raise NoInk("no digit found: only isolated specks of ink")
    return Page(ink, mask, components, 1.0, noise, 0, small=True)
