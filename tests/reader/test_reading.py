"""Reading several digits: segmentation left to right, boxes in the upload's pixels, one digit
as `preprocess` gives it, pieces of one digit kept together, touching digits split."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reader.grouping import MAX_LISTED
from reader.preprocessing import NoInk, preprocess
from reader.reading import read, read_array
from tests.fixtures.images import encode
from tests.reader import pages

TOLERANCE = 4  # pixels: a box edge may differ by the anti-aliased rim of the strokes


def number_upload(indices: list[int], side: int = 90, gap: int = 25) -> tuple[bytes, list]:
    digits = [pages.bundled(i)[0] for i in indices]
    coverage, spans = pages.number(digits, side, gap)
    return encode(pages.as_uint8(pages.on_paper(coverage))), spans


def test_one_digit_is_one_entry_with_the_preprocess_input() -> None:
    data = encode(
        pages.as_uint8(
            pages.on_paper(
                pages.place(pages.ink_of(pages.bundled(4)[0], 140), (300, 400), (80, 130))
            )
        )
    )
    reading = read(data)
    assert len(reading.digits) == 1
    np.testing.assert_array_equal(reading.digits[0].image[..., 0], preprocess(data))
    assert reading.images().shape == (1, 28, 28, 1)


def test_mnist_field_reads_as_itself() -> None:
    digit, _ = pages.bundled(7)
    reading = read(encode(digit))
    assert len(reading.digits) == 1
    np.testing.assert_allclose(reading.digits[0].image[..., 0], preprocess(encode(digit)))


@pytest.mark.parametrize("indices", [[0, 1], [2, 3, 4, 5], [10, 11, 12, 13, 14, 15]])
def test_digits_in_a_row_are_read_left_to_right_with_their_boxes(indices: list[int]) -> None:
    data, spans = number_upload(indices)
    reading = read(data)
    assert len(reading.digits) == len(indices)
    for digit, (left, right) in zip(reading.digits, spans, strict=True):
        box_left, top, box_right, bottom = digit.box
        assert abs(box_left - left) <= TOLERANCE and abs(box_right - right) <= TOLERANCE
        assert 25 <= top < bottom <= 25 + 90 + 2 * TOLERANCE  # within the written line
    assert reading.images().shape == (len(indices), 28, 28, 1)


def test_each_digit_of_a_number_is_the_digit_written_alone() -> None:
    indices = [2, 3, 4, 5]
    data, _ = number_upload(indices)
    for digit, index in zip(read(data).digits, indices, strict=True):
        alone = pages.place(pages.ink_of(pages.bundled(index)[0], 90), (150, 150), (30, 30))
        single = preprocess(encode(pages.as_uint8(pages.on_paper(alone))))
        assert float(np.abs(digit.image[..., 0] - single).mean()) < 0.05


def test_boxes_are_in_the_upload_pixels_when_it_was_reduced() -> None:
    data, spans = number_upload([2, 3, 4, 5], side=400, gap=120)  # over the work size
    width = Image.open(__import__("io").BytesIO(data)).size[0]
    assert width > 1024
    reading = read(data)
    assert reading.size[0] == width
    for digit, (left, right) in zip(reading.digits, spans, strict=True):
        assert (
            abs(digit.box[0] - left) <= 3 * TOLERANCE and abs(digit.box[2] - right) <= 3 * TOLERANCE
        )


def test_a_broken_digit_stays_one_digit() -> None:
    digit, _ = pages.bundled(0)
    coverage = pages.place(pages.ink_of(digit, 140), (300, 400), (80, 130))
    coverage[145:152, :] = 0  # a gap across the whole digit: two pieces, one above the other
    reading = read_array(pages.as_uint8(pages.on_paper(coverage)).astype(np.float32))
    assert len(reading.digits) == 1
    assert reading.digits[0].shape.parts >= 2


def test_touching_digits_are_split_by_width() -> None:
    digits = [pages.bundled(i)[0] for i in (0, 0)]  # two zeros...
    coverage, _ = pages.number(digits, 90, gap=-6)  # ...overlapping a little: one component
    reading = read_array(pages.as_uint8(pages.on_paper(coverage)).astype(np.float32))
    assert len(reading.digits) == 2
    assert reading.digits[0].box[2] <= reading.digits[1].box[2]


def test_blank_upload_is_still_no_ink() -> None:
    with pytest.raises(NoInk):
        read(encode(np.full((200, 300), 240, np.uint8)))


def cells_row(indices: list[int], gap: int, scale: int = 4) -> np.ndarray:
    """Bundled digits in their 28 px cells side by side, `gap` px apart, as written on a
    page with a cell's margin: coverage at `scale` times MNIST's size."""
    cells = [pages.bundled(i)[0] for i in indices]
    width = 28 * (len(cells) + 2) + gap * (len(cells) - 1)
    row = np.zeros((28 * 3, width), np.uint8)
    for k, cell in enumerate(cells):
        left = 28 + k * (28 + gap)
        row[28:56, left : left + 28] = cell
    side = (width * scale, 28 * 3 * scale)
    return np.asarray(Image.fromarray(row).resize(side, Image.Resampling.BILINEAR)) / 255.0


@pytest.mark.parametrize(
    ("indices", "gap"),
    [
        ([51, 53], 7),  # two narrow 1s a quarter of a cell apart: 1.5 digit heights of paper
        ([51, 0, 53, 1], 7),  # 1 beside wide 0s
        ([100, 150, 200, 250, 300, 350, 400, 450], 2),  # eight digits, tight
        ([53, 51, 52, 54, 55, 56], 5),
    ],
)
def test_numbers_spaced_as_people_write_lose_no_digit(indices: list[int], gap: int) -> None:
    coverage = cells_row(indices, gap)
    reading = read(encode(pages.as_uint8(pages.on_paper(coverage))))
    assert len(reading.digits) == len(indices) and reading.left_out == ()
    lefts = [d.box[0] for d in reading.digits]
    assert lefts == sorted(lefts)


def digit_and(mark_at: tuple[int, int], mark: np.ndarray) -> bytes:
    """A bundled 2, 112 px tall at (100, 100) on a 500×900 page, and a mark."""
    coverage = pages.place(pages.ink_of(pages.bundled(100)[0], 140), (500, 900), (86, 86))
    coverage[mark_at[0] : mark_at[0] + mark.shape[0], mark_at[1] : mark_at[1] + mark.shape[1]] = (
        mark
    )
    return encode(pages.as_uint8(pages.on_paper(coverage)))


def test_a_digit_far_along_the_row_is_listed_with_its_box_and_why() -> None:
    one = pages.ink_of(pages.bundled(51)[0], 140)
    reading = read(digit_and((86, 600), one))  # 3.5 digit heights to the right
    assert len(reading.digits) == 1
    [mark] = reading.left_out
    assert "too far from the digits" in mark.reason
    rows, cols = np.nonzero(one > 0.2)  # the 1's ink, in the upload's pixels
    left, top, right, bottom = mark.box  # within the mask's resolution, 3.5 px here
    assert abs(left - (600 + cols.min())) <= 2 * TOLERANCE
    assert abs(right - (600 + cols.max() + 1)) <= 2 * TOLERANCE
    assert abs(top - (86 + rows.min())) <= 2 * TOLERANCE
    assert abs(bottom - (86 + rows.max() + 1)) <= 2 * TOLERANCE


def test_a_mark_above_the_row_is_listed_and_a_speck_is_not() -> None:
    bar = np.ones((8, 60), np.float32)
    reading = read(digit_and((20, 400), bar))
    assert len(reading.digits) == 1
    [mark] = reading.left_out
    assert mark.reason == "above or below the row of digits"
    speck = np.ones((6, 6), np.float32)  # under a quarter of the digit's height: a speck
    specked = read(digit_and((400, 700), speck))
    assert specked.left_out == () and specked.strays == 1


def test_at_most_max_listed_marks_are_listed() -> None:
    coverage = pages.place(pages.ink_of(pages.bundled(100)[0], 140), (700, 900), (280, 380))
    for k in range(MAX_LISTED + 4):
        row, col = divmod(k, 8)
        coverage[20 + 60 * row : 60 + 60 * row, 20 + 110 * col : 60 + 110 * col] = 1.0
    reading = read(encode(pages.as_uint8(pages.on_paper(coverage))))
    assert reading.strays == MAX_LISTED + 4 and len(reading.left_out) == MAX_LISTED


def test_a_digit_in_pieces_from_a_coarse_scan_stays_one_digit() -> None:
    digit = pages.bundled(200)[0]  # a 4
    coarse = np.asarray(Image.fromarray(digit).resize((9, 9), Image.Resampling.BOX))
    blocky = np.asarray(Image.fromarray(coarse).resize((110, 110), Image.Resampling.NEAREST))
    coverage = pages.place(blocky / 255.0, (300, 300), (90, 90))
    reading = read(encode(pages.as_uint8(pages.on_paper(coverage))))
    assert len(reading.digits) == 1
