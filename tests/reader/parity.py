"""The reader's outputs on a fixed set of renders, recorded once and compared ever after: the
proof that a rewrite of the reader's image operations changes nothing.

The renders: PER_STYLE bundled held-out digits (a seeded choice) in every style of
reader/styles.py, a few numbers in each number style, and a few of each kind of non-digit.
For each, two layers of outputs:

- the page (`reader.page.analyse`): the mask and the soft ink (as digests: they must match
  bit for bit), the components' boxes and areas, the scale, noise and paper lines; and the
  field of all its components cut together (`reader.digit_field`), which does not depend on
  how `reader.grouping` gathers them;
- the reading (`reader.reading.read_array`): each digit's field, box and Shape features,
  and the page's strays, ink cover, noise and lines (this layer moves when grouping does:
  record again, from the code before the change, when grouping or reading change on purpose).

    python -m tests.reader.parity      # records tests/reader/data/reader_parity.npz
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field
from pathlib import Path

import numpy as np

from contract.digits import load_bundled
from reader.digit_field import FIELD_SIZE, cut, to_field
from reader.image_errors import ImageError
from reader.page import analyse
from reader.preprocessing import load_upright, open_checked, to_grayscale
from reader.reading import read_array
from reader.styles import (
    DIGIT_STYLES,
    NON_DIGITS,
    NUMBER_STYLES,
    render,
    render_non_digit,
    render_number,
)

FIXTURE = Path(__file__).parent / "data" / "reader_parity.npz"
SEED = 22  # the number: any fixed seed
PER_STYLE = 20
NUMBERS_PER_STYLE = 4
PER_NON_DIGIT = 3


def renders() -> Iterator[tuple[str, bytes]]:
    """(name, image file) of every render in the set, always the same."""
    split = load_bundled()
    rng = np.random.default_rng(SEED)
    chosen = rng.choice(len(split.images), PER_STYLE, replace=False)
    for style_index, style in enumerate(DIGIT_STYLES):
        for i, index in enumerate(chosen):
            seed = (SEED, style_index, i)
            yield (
                f"{style}/{index}",
                render(split.images[index], style, np.random.default_rng(seed)),
            )
    for style_index, style in enumerate(NUMBER_STYLES):
        for i in range(NUMBERS_PER_STYLE):
            picker = np.random.default_rng((SEED, 100 + style_index, i))
            indices = picker.choice(len(split.images), 2 + i, replace=False)
            digits = [split.images[k] for k in indices]
            yield f"{style}/{i}", render_number(digits, style, picker)
    for kind_index, kind in enumerate(NON_DIGITS):
        for i in range(PER_NON_DIGIT):
            yield (
                f"{kind}/{i}",
                render_non_digit(kind, np.random.default_rng((SEED, 200 + kind_index, i))),
            )


def digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:16]


@dataclass
class Outputs:
    """The outputs of every render, as flat arrays (one row per render, digit or component)."""

    names: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # digest of the render's bytes
    errors: list[str] = field(default_factory=list)  # the ImageError's class, or ""
    masks: list[str] = field(default_factory=list)
    inks: list[str] = field(default_factory=list)
    pages: list[tuple[float, ...]] = field(default_factory=list)  # scale, noise, lines, small
    whole: list[np.ndarray] = field(default_factory=list)  # the field of all components
    component_owner: list[int] = field(default_factory=list)
    components: list[tuple[int, ...]] = field(
        default_factory=list
    )  # top, left, bottom, right, area
    readings: list[tuple[float, ...]] = field(default_factory=list)  # strays, cover, noise, lines
    digit_owner: list[int] = field(default_factory=list)
    fields: list[np.ndarray] = field(default_factory=list)
    boxes: list[tuple[int, ...]] = field(default_factory=list)
    shapes: list[tuple[float, ...]] = field(default_factory=list)

    def add(self, name: str, data: bytes) -> None:
        owner = len(self.names)
        self.names.append(name)
        self.sources.append(hashlib.sha256(data).hexdigest()[:16])
        empty = np.zeros((FIELD_SIZE, FIELD_SIZE), np.float32)
        try:
            work, size = load_upright(open_checked(data))
            gray = to_grayscale(work)
            page = analyse(gray)
            reading = read_array(gray, size)
        except ImageError as exc:
            self.errors.append(type(exc).__name__)
            self.masks.append("")
            self.inks.append("")
            self.pages.append((0.0, 0.0, 0.0, 0.0))
            self.whole.append(empty)
            self.readings.append((0.0, 0.0, 0.0, 0.0))
            return
        self.errors.append("")
        self.masks.append(digest(np.packbits(page.mask)) + str(page.mask.shape))
        self.inks.append(digest(page.ink) + str(page.ink.shape))
        self.pages.append((page.scale, page.noise, float(page.lines), float(page.small)))
        ink, _ = cut(page, page.components)
        self.whole.append(to_field(ink, resample=page.ink.shape != (FIELD_SIZE, FIELD_SIZE)))
        for c in page.components:
            self.component_owner.append(owner)
            self.components.append((c.top, c.left, c.bottom, c.right, c.area))
        self.readings.append(
            (float(reading.strays), reading.ink_cover, reading.noise, float(reading.lines))
        )
        for digit in reading.digits:
            self.digit_owner.append(owner)
            self.fields.append(digit.image[..., 0])
            self.boxes.append(digit.box)
            self.shapes.append(tuple(float(v) for v in astuple(digit.shape)))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "names": np.array(self.names),
            "sources": np.array(self.sources),
            "errors": np.array(self.errors),
            "masks": np.array(self.masks),
            "inks": np.array(self.inks),
            "pages": np.array(self.pages, np.float64).reshape(-1, 4),
            "whole": np.array(self.whole, np.float32).reshape(-1, FIELD_SIZE, FIELD_SIZE),
            "component_owner": np.array(self.component_owner, np.int64),
            "components": np.array(self.components, np.int64).reshape(-1, 5),
            "readings": np.array(self.readings, np.float64).reshape(-1, 4),
            "digit_owner": np.array(self.digit_owner, np.int64),
            "fields": np.array(self.fields, np.float32).reshape(-1, FIELD_SIZE, FIELD_SIZE),
            "boxes": np.array(self.boxes, np.int64).reshape(-1, 4),
            "shapes": np.array(self.shapes, np.float64).reshape(-1, 7),
        }


def outputs() -> dict[str, np.ndarray]:
    """Today's outputs on the whole set."""
    collected = Outputs()
    for name, data in renders():
        collected.add(name, data)
    return collected.arrays()


def main() -> int:
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE, **outputs())  # type: ignore[arg-type]
    print(f"{FIXTURE}: {FIXTURE.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
