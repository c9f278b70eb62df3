"""One upload read as the digits it shows, left to right, with what a judge needs to know.

    reading = read(data)                      # or read_opened(open_checked(data)), read_array
    batch = reading.images()                  # float32 [n, 28, 28, 1]: serving_default's input
    reading.digits[i].box                     # (left, top, right, bottom) in the upload's pixels
    reading.left_out                          # marks not read: each with its box and why
    answer = reader.judge.judge(reading, probabilities, scores)   # [n, 10], [n]

The page is analysed as for `preprocess` (`reader.page`: lighting, lines, noise, the ink's
mask and its components); the main cluster of components, grown along its row
(`reader.grouping.row_cluster`), is cut into digits: pieces of one digit (in the same
columns, or side by side and nearly touching) joined, touching digits split where the width
says so; every other mark bigger than a speck is listed in `left_out` with why. Each digit
is cut from the soft ink with its own mask and made an MNIST field (`reader.digit_field`).
An upload with one digit gives one entry, whose image is exactly what `preprocess` gives. A
blank upload raises NoInk, as `preprocess` does; every other ImageError of `preprocess`
(limits, formats, corrupt files) is raised the same way.

Boxes are in the pixels of the upload as displayed (EXIF orientation applied), exclusive of
right and bottom, so a client can draw them on the image it sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from reader import likeness
from reader.boxes import Box, bounds, box_of
from reader.components import Component
from reader.digit_field import (
    FIELD_SIZE,
    cut,
    fit_digit_box,
    stroke_length,
    stroke_width,
    to_field,
)
from reader.grouping import MAX_LISTED, digit_groups, row_cluster
from reader.page import Page, analyse
from reader.preprocessing import (
    DEFAULT_MAX_DECODED_BYTES,
    DEFAULT_MAX_PIXELS,
    load_upright,
    open_checked,
    to_grayscale,
)


@dataclass(frozen=True)
class Shape:
    """What one digit's mask and field look like (the judge's shape features)."""

    parts: int  # mask components it is made of
    ink: float  # mean of the 28×28 field (MNIST's digits: 0.05 to 0.24)
    stroke: float  # pen width in the 20 px box before it is brought to MNIST's (MNIST: ~1.9)
    length: float  # stroke length in the field (half its perimeter) over the 20 px box
    fill: float  # mask pixels over the box's pixels (a blot: near 1)
    aspect: float  # box width over height (MNIST's digits: up to ~1.4)
    mnist_distance: float  # reader.likeness.distance of the field (0 like MNIST .. 1)


@dataclass(frozen=True)
class ReadDigit:
    image: np.ndarray  # float32 [28, 28, 1], the model's input
    box: Box  # left, top, right, bottom (exclusive) in the upload's pixels
    shape: Shape


@dataclass(frozen=True)
class LeftOut:
    """A mark that could have been part of the answer and is not read, and why."""

    box: Box  # left, top, right, bottom (exclusive) in the upload's pixels
    reason: str


@dataclass(frozen=True)
class Reading:
    """The digits found, left to right, and what the page around them looks like."""

    digits: tuple[ReadDigit, ...]
    size: tuple[int, int]  # the upload's width and height, upright
    strays: int  # ink components (specks excluded) outside the digits
    ink_cover: float  # fraction of the page the ink's mask covers
    noise: float  # the paper's noise std dev, in units of the ink's level
    lines: int  # paper lines subtracted
    # Marks outside the digits big enough to be a digit's (reader.grouping.LISTED_SIDE),
    # largest first, at most MAX_LISTED of them (`strays` counts them all, specks aside).
    left_out: tuple[LeftOut, ...] = ()

    def images(self) -> np.ndarray:
        """float32 [n, 28, 28, 1], the serving_default input for all the digits."""
        return np.stack([digit.image for digit in self.digits])


def read(
    data: bytes,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> Reading:
    """Image file bytes to the digits they show (limits and errors as `preprocess`)."""
    return read_opened(open_checked(data, max_pixels, max_decoded_bytes))


def read_opened(image: Image.Image) -> Reading:
    """An image from `open_checked` to the digits it shows."""
    work, size = load_upright(image)
    return read_array(to_grayscale(work), size)


def read_array(gray: np.ndarray, size: tuple[int, int] | None = None) -> Reading:
    """Grey levels (either polarity) to the digits; `size` is the upload's (width, height)
    when `gray` was reduced from it (boxes are given in the upload's pixels)."""
    page = analyse(gray)
    width, height = size or (gray.shape[1], gray.shape[0])
    factors = (width / gray.shape[1], height / gray.shape[0])
    cluster, apart = (
        (page.components, []) if page.small else row_cluster(page.components, page.mask.shape)
    )
    groups = [cluster] if page.small else digit_groups(cluster)
    digits = tuple(read_digit(page, group, factors) for group in groups)
    scale = (factors[0] * page.scale, factors[1] * page.scale)  # mask pixels to the upload's
    left_out = tuple(
        LeftOut(upload_box(box_of(c), scale), reason) for c, reason in apart[:MAX_LISTED]
    )
    return Reading(
        digits=digits,
        size=(width, height),
        strays=len(page.components) - len(cluster),
        ink_cover=float(page.mask.mean()),
        noise=page.noise,
        lines=page.lines,
        left_out=left_out,
    )


def read_digit(page: Page, group: list[Component], factors: tuple[float, float]) -> ReadDigit:
    ink, box = cut(page, group)
    field = to_field(ink, resample=page.ink.shape != (FIELD_SIZE, FIELD_SIZE))
    left, top, right, bottom = bounds(group)
    area = sum(c.area for c in group)
    shape = Shape(
        parts=len(group),
        ink=float(field.mean()),
        stroke=stroke_width(fit_digit_box(ink)) if not page.small else stroke_width(field),
        length=stroke_length(field),
        fill=area / max(1, (bottom - top) * (right - left)),
        aspect=(right - left) / max(1, bottom - top),
        mnist_distance=likeness.distance(field),
    )
    return ReadDigit(field[..., np.newaxis], upload_box(box, factors), shape)


def upload_box(box: Box, factors: tuple[float, float]) -> Box:
    """A box in the work image's pixels to the upload's pixels (rounded outward)."""
    fx, fy = factors
    left, top, right, bottom = box
    return (
        int(np.floor(left * fx)),
        int(np.floor(top * fy)),
        int(np.ceil(right * fx)),
        int(np.ceil(bottom * fy)),
    )
