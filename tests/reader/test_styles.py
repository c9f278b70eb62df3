"""Upload styles: a few hundred of each on the bundled validation digits. Every file decodes,
is the same for a seed, and has the properties its style promises (sizes, pen widths,
lighting, paper rules, ink colour, numbers laid out left to right, non-digits not blank)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from contract.digits import load_bundled
from reader.styles import (
    DIGIT_STYLES,
    EXTENSIONS,
    FONT_LETTERS,
    NON_DIGITS,
    NUMBER_STYLES,
    PHOTO_SIZE,
    STYLES,
    render,
    render_non_digit,
    render_number,
)

COUNT = 200  # of each style
FORMATS = {"png": "PNG", "jpg": "JPEG"}
PHOTO_STYLES = ("phone", "phone_gradient", "phone_shadow", "phone_noisy", "phone_blurry")


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_bundled().images[:COUNT]


def rendered(digits: np.ndarray, style: str, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [render(digit, style, rng) for digit in digits]


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def grey(image: Image.Image) -> np.ndarray:
    """Grey levels, a canvas export's transparency composited onto white."""
    if image.mode == "RGBA":
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
    return np.asarray(image.convert("L"), dtype=np.float32)


def ink_mask(image: Image.Image) -> np.ndarray:
    """Pixels much darker than the paper around them (the median of the image)."""
    values = grey(image)
    return values < np.median(values) - 60


@pytest.fixture(scope="module")
def files(digits: np.ndarray) -> dict[str, list[bytes]]:
    return {style: rendered(digits, style) for style in DIGIT_STYLES}


def test_the_samples_styles_come_first() -> None:
    assert DIGIT_STYLES[: len(STYLES)] == STYLES
    assert len(set(DIGIT_STYLES)) == len(DIGIT_STYLES) == 20


@pytest.mark.parametrize("style", DIGIT_STYLES)
def test_every_file_decodes_in_its_format(files: dict[str, list[bytes]], style: str) -> None:
    for data in files[style]:
        image = opened(data)
        assert image.format == FORMATS[EXTENSIONS[style]]
        assert grey(image).std() > 5, "not blank"


@pytest.mark.parametrize("style", DIGIT_STYLES)
def test_same_seed_same_files_other_seed_others(digits: np.ndarray, style: str) -> None:
    first = rendered(digits[:5], style, seed=1)
    assert first == rendered(digits[:5], style, seed=1)
    if style not in ("plain", "transparent"):  # the digit itself, nothing drawn at random
        assert first != rendered(digits[:5], style, seed=2)


def test_unknown_style_and_bad_digits_are_refused(digits: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown style 'fax'"):
        render(digits[0], "fax", rng)
    with pytest.raises(ValueError, match="expected a uint8 28×28 digit"):
        render(digits[0].astype(np.float32), "phone", rng)


@pytest.mark.parametrize("style", PHOTO_STYLES)
def test_phone_photos_show_the_digit_in_the_middle(
    files: dict[str, list[bytes]], style: str
) -> None:
    for data in files[style]:
        image = opened(data)
        assert image.size == PHOTO_SIZE[::-1] and image.mode == "RGB"
        if style == "phone_shadow":
            continue  # the shadow itself is dark
        rows, cols = np.nonzero(ink_mask(image))
        assert abs(rows.mean() / PHOTO_SIZE[0] - 0.5) < 0.2
        assert abs(cols.mean() / PHOTO_SIZE[1] - 0.5) < 0.2


def paper_corners(image: Image.Image) -> np.ndarray:
    values = grey(image)
    return np.array(
        [
            values[:10, :10].mean(),
            values[:10, -10:].mean(),
            values[-10:, :10].mean(),
            values[-10:, -10:].mean(),
        ]
    )


def test_uneven_light_and_shadows_darken_part_of_the_page(files: dict[str, list[bytes]]) -> None:
    def spread(style: str) -> float:
        ratios = [1 - c.min() / c.max() for c in map(paper_corners, map(opened, files[style]))]
        return float(np.median(ratios))

    assert spread("phone") < 0.2
    assert spread("phone_gradient") > 0.25
    assert spread("phone_shadow") > 0.2


def test_noisy_photos_are_noisier_and_blurry_ones_softer(files: dict[str, list[bytes]]) -> None:
    def corner_noise(style: str) -> float:
        return float(np.median([grey(opened(d))[:20, :20].std() for d in files[style][:50]]))

    def edge(style: str) -> float:  # the steepest step next to the ink
        return float(
            np.median([np.abs(np.diff(grey(opened(d)), axis=1)).max() for d in files[style][:50]])
        )

    assert corner_noise("phone_noisy") > 2 * corner_noise("phone")
    assert edge("phone_blurry") < 0.7 * edge("phone")


def test_the_small_digit_is_small_in_a_large_photo(files: dict[str, list[bytes]]) -> None:
    for data in files["phone_small"]:
        image = opened(data)
        assert image.size == (640, 480)
        rows = np.flatnonzero(ink_mask(image).any(axis=1))
        assert rows[-1] - rows[0] < 80  # of 480


def stroke_width(image: Image.Image) -> float:
    """Ink area over the ink's outline length: about half the stroke width."""
    mask = ink_mask(image)
    outline = (
        np.logical_xor(mask[1:, 1:], mask[:-1, 1:]).sum()
        + np.logical_xor(mask[1:, 1:], mask[1:, :-1]).sum()
    )
    height = np.ptp(np.flatnonzero(mask.any(axis=1))) + 1
    return float(mask.sum() / max(outline, 1) / height)  # relative to the digit's height


def test_thick_pens_are_thicker_and_thin_pens_thinner(files: dict[str, list[bytes]]) -> None:
    def width(style: str) -> float:
        return float(np.median([stroke_width(opened(d)) for d in files[style]]))

    assert width("pen_thick") > 1.4 * width("paper")
    assert width("pen_thin") < 0.8 * width("paper")


def rules(band: np.ndarray, axis: int) -> np.ndarray:
    """Blue lines across an RGB band of paper: darker than the paper, and bluer (axis: 1 for
    horizontal rules, 0 for vertical ones; a red margin is not one)."""
    darkness = -band.mean(axis=(axis, 2))
    bluer = (band[:, :, 2] - band[:, :, 0]).mean(axis=axis)
    return (darkness > np.median(darkness) + 10) & (bluer > np.median(bluer) + 5)


@pytest.mark.parametrize("style", ["lined", "squared"])
def test_ruled_paper_has_blue_rules(files: dict[str, list[bytes]], style: str) -> None:
    for data in files[style][:50]:
        rgb = np.asarray(opened(data), dtype=np.float32)
        # Away from the digit (near the middle): the right edge, and the top.
        assert rules(rgb[:, -40:], axis=1).sum() >= 3, "several horizontal rules"
        assert (rules(rgb[:30], axis=0).sum() >= 3) == (style == "squared")


def test_coloured_ink_is_coloured(files: dict[str, list[bytes]]) -> None:
    for data in files["coloured_ink"]:
        image = opened(data)
        rgb = np.asarray(image, dtype=np.float32)[ink_mask(image)]
        assert np.median(rgb.max(axis=1) - rgb.min(axis=1)) > 60


def test_scans_are_large_and_bilevel_scans_black_and_white(files: dict[str, list[bytes]]) -> None:
    for data in files["scan"]:
        rows = np.flatnonzero(ink_mask(opened(data)).any(axis=1))
        assert 80 <= rows[-1] - rows[0] <= 340  # the digit 100-300 px tall, and the pen's width
    assert {opened(data).mode for data in files["scan_bilevel"]} == {"1"}


def test_other_resolutions(files: dict[str, list[bytes]]) -> None:
    upscaled = {opened(d).size for d in files["upscaled"]}
    assert all(w == h and w % 28 == 0 and 84 <= w <= 280 for w, h in upscaled)
    assert len(upscaled) > 4
    downscaled = {opened(d).size for d in files["downscaled"]}
    assert all(w == h and 25 <= w <= 36 for w, h in downscaled)


# --- numbers ---------------------------------------------------------------------------------


def ink_runs(image: Image.Image) -> int:
    """Separate runs of ink columns, left to right."""
    columns = ink_mask(image).any(axis=0).astype(int)
    return int(np.count_nonzero(np.diff(np.concatenate([[0], columns])) == 1))


@pytest.mark.parametrize("style", NUMBER_STYLES)
def test_numbers_are_their_digits_left_to_right(digits: np.ndarray, style: str) -> None:
    rng = np.random.default_rng(0)
    separated = []
    for length in range(2, 7):
        widths = []
        for start in range(0, 60, length):
            image = opened(render_number(list(digits[start : start + length]), style, rng))
            separated.append(ink_runs(image) == length)
            columns = np.flatnonzero(ink_mask(image).any(axis=0))
            widths.append((columns[-1] - columns[0]) / length)
        assert np.median(widths) > 30, "each digit tens of pixels wide"
    assert np.mean(separated) > 0.9, "digits apart, as written"


def test_numbers_are_deterministic_and_checked(digits: np.ndarray) -> None:
    def number(seed: int) -> bytes:
        return render_number(list(digits[:4]), "number_photo", np.random.default_rng(seed))

    assert number(1) == number(1) != number(2)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="a number has 2 to 6 digits, got 7"):
        render_number(list(digits[:7]), "number_paper", rng)
    with pytest.raises(ValueError, match="unknown number style 'abacus'"):
        render_number(list(digits[:2]), "abacus", rng)


# --- not digits ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NON_DIGITS)
def test_non_digits_decode_vary_and_repeat_for_a_seed(kind: str) -> None:
    rng = np.random.default_rng(0)
    made = [render_non_digit(kind, rng) for _ in range(COUNT)]
    assert len(set(made)) == COUNT
    contrast = [np.asarray(opened(data).convert("RGB"), np.float32).std() for data in made]
    assert min(contrast) > 1 and np.median(contrast) > 10, "something to see"
    assert render_non_digit(kind, np.random.default_rng(0)) == made[0]


def test_letters_that_look_like_digits_are_left_out() -> None:
    assert not set(FONT_LETTERS) & set("OoQDIlijZzSsBbGgq")


def test_unknown_non_digit_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown non-digit 'cat'"):
        render_non_digit("cat", np.random.default_rng(0))
