"""Reading several digits: segmentation left to right, boxes in the upload's pixels, one digit
as `preprocess` gives it, pieces of one digit kept together, touching digits split."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

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
