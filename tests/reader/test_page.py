"""Photos of paper: each test spoils a clean page in one way (light, shadow, noise, rules, pen,
size, colour, marks) and checks that the model's input stays that of the clean page."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reader.digit_field import THICK_STROKE, THIN_STROKE, stroke_width
from reader.page import analyse
from reader.preprocessing import NoInk, preprocess
from tests.fixtures.images import encode
from tests.reader import pages

SIZE = (300, 400)
AT = (80, 130)
CLOSE = 0.04  # mean absolute difference of two fields (0..1) that show the same digit alike


def clean_page(index: int = 0, side: int = 140) -> np.ndarray:
    digit, _ = pages.bundled(index)
    return pages.on_paper(pages.place(pages.ink_of(digit, side), SIZE, AT))


def field_of(grey: np.ndarray) -> np.ndarray:
    return preprocess(encode(pages.as_uint8(grey)))


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.mark.parametrize("index", [0, 1, 2])
def test_uneven_light_is_flattened(index: int) -> None:
    clean = clean_page(index)
    dim = pages.lit_unevenly(clean, darkest=0.45)  # the right edge at 45% of the left
    assert difference(field_of(dim), field_of(clean)) < CLOSE


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_shadow_across_the_digit_is_not_ink(index: int) -> None:
    clean = clean_page(index)
    assert difference(field_of(pages.shadowed(clean, depth=0.5)), field_of(clean)) < CLOSE


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_deep_shadow_over_half_the_photo_is_light_not_a_thick_pen(index: int) -> None:
    """Darker than most of the ink stands out of the paper, and wider than any stroke."""
    clean = clean_page(index)
    assert difference(field_of(pages.shadowed(clean, depth=0.7)), field_of(clean)) < CLOSE


def test_sensor_noise_is_not_ink() -> None:
    clean = clean_page()
    field = field_of(pages.noisy(clean, sigma=14.0))
    assert difference(field, field_of(clean)) < CLOSE
    assert field[:4].max() == 0.0 and field[:, :4].max() == 0.0  # no haze around the digit


def test_ruled_paper_lines_are_removed() -> None:
    digit, _ = pages.bundled(0)
    coverage = pages.place(pages.ink_of(digit, 140), SIZE, AT)
    lined = pages.on_paper(coverage, paper=pages.ruled(SIZE, spacing=30))
    page = analyse(pages.as_uint8(lined).astype(np.float32))
    assert page.lines >= 8
    assert difference(field_of(lined), field_of(pages.on_paper(coverage))) < CLOSE


@pytest.mark.parametrize("index", [0, 3, 5])
def test_a_thick_pen_is_brought_to_mnist_stroke_width(index: int) -> None:
    digit, _ = pages.bundled(index)
    coverage = pages.thicker(pages.place(pages.ink_of(digit, 140), SIZE, AT), 13)
    field = field_of(pages.on_paper(coverage))
    assert THIN_STROKE <= stroke_width(field) <= THICK_STROKE


@pytest.mark.parametrize("index", [0, 2, 5])
def test_a_broad_pen_on_evenly_lit_paper_keeps_its_ink_whole(index: int) -> None:
    """Where strokes meet, a broad pen's ink is wider than the paper's opening window; the
    paper round the edge is even, so none of it is taken for light and divided out."""
    digit, _ = pages.bundled(index)
    coverage = pages.thicker(pages.place(pages.ink_of(digit, 120), (180, 180), (30, 30)), 9)
    page = analyse(pages.on_paper(coverage))
    assert page.ink[coverage >= 0.99].min() > 0.95


def test_a_thin_pen_is_brought_to_mnist_stroke_width() -> None:
    digit, _ = pages.bundled(0)
    coverage = pages.place(pages.ink_of(digit, 280), (400, 500), (60, 110))
    thin = np.clip((coverage - 0.8) / 0.2, 0, 1)  # the strokes' core only: a fine pen
    field = field_of(pages.on_paper(thin))
    assert THIN_STROKE <= stroke_width(field) <= THICK_STROKE


def test_small_digit_in_a_large_photo() -> None:
    digit, _ = pages.bundled(0)
    size = (1500, 2000)
    coverage = pages.place(pages.ink_of(digit, 100), size, (700, 1200))
    photo = pages.noisy(pages.lit_unevenly(pages.on_paper(coverage), darkest=0.7), 6.0)
    photo[50:56, 60:66] = 0  # a speck of dirt far away, and a mark in a corner
    photo[1400:1440, 1900:1960] = 40
    # 50 px at the work size: a little thinner and rougher than the clean page's, the same 0.
    assert correlation(field_of(photo), field_of(clean_page(0))) > 0.85


def test_marks_far_from_the_digit_do_not_move_it() -> None:
    clean = clean_page()
    marked = clean.copy()
    marked[10:22, 10:22] = pages.INK  # a blot in the corner
    marked[280:284, 300:390] = pages.INK  # a stroke along the bottom edge
    assert difference(field_of(marked), field_of(clean)) < 0.01


def test_coloured_ink_on_tinted_paper() -> None:
    digit, _ = pages.bundled(1)
    coverage = pages.place(pages.ink_of(digit, 140), SIZE, AT)[..., np.newaxis]
    paper, pen = np.array([245.0, 230.0, 170.0]), np.array([200.0, 30.0, 40.0])  # red on yellow
    rgb = pages.as_uint8(paper * (1 - coverage) + pen * coverage)
    field = preprocess(encode(Image.fromarray(rgb, mode="RGB")))
    assert difference(field, field_of(clean_page(1))) < CLOSE


def test_large_jpeg_is_read_at_reduced_scale_alike() -> None:
    digit, _ = pages.bundled(2)
    big = pages.as_uint8(
        pages.on_paper(pages.place(pages.ink_of(digit, 1200), (3000, 4000), (900, 1400)))
    )
    small = np.asarray(Image.fromarray(big).resize((1000, 750), Image.Resampling.BOX))
    from_big = preprocess(encode(big, "JPEG", quality=90))
    from_small = preprocess(encode(small, "JPEG", quality=90))
    assert difference(from_big, from_small) < 0.02


def test_blank_photo_is_still_no_ink() -> None:
    paper = pages.noisy(pages.lit_unevenly(np.full(SIZE, pages.PAPER), darkest=0.6), 3.0)
    with pytest.raises(NoInk, match="no digit found"):
        field_of(paper)
