"""Preprocessing: polarity, centring, aspect ratio, alpha, EXIF, formats, limits, blank images."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from reader.preprocessing import (
    CENTRE,
    DIGIT_BOX,
    CorruptImage,
    ImageTooLarge,
    NoImage,
    NoInk,
    UnsupportedImage,
    load,
    open_checked,
    preprocess,
    preprocess_array,
)
from tests.fixtures.images import encode, synthetic_digit


def centre_of_mass(field: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(field.shape)
    return float((field * rows).sum() / field.sum()), float((field * cols).sum() / field.sum())


def ink_extent(field: np.ndarray, threshold: float = 0.3) -> tuple[int, int]:
    rows, cols = np.flatnonzero(field.max(1) > threshold), np.flatnonzero(field.max(0) > threshold)
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def large_page(
    digit: np.ndarray, scale: int, size: tuple[int, int], at: tuple[int, int]
) -> np.ndarray:
    """The digit enlarged `scale` times, dark on a white page of `size` (h, w) at `at`."""
    big = np.asarray(
        Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)
    )
    page = np.zeros(size, np.uint8)
    page[at[0] : at[0] + big.shape[0], at[1] : at[1] + big.shape[1]] = big
    return 255 - page


def test_mnist_field_passes_unchanged() -> None:
    digit = synthetic_digit()
    np.testing.assert_allclose(preprocess(encode(digit)), digit / 255.0, atol=1e-6)


def test_output_is_float32_in_0_1() -> None:
    field = preprocess(encode(large_page(synthetic_digit(), 6, (300, 400), (20, 30))))
    assert field.dtype == np.float32 and field.shape == (28, 28)
    assert field.min() >= 0.0 and field.max() == pytest.approx(1.0)


def test_dark_ink_on_light_paper_is_inverted() -> None:
    light_on_dark = preprocess(encode(synthetic_digit()))
    dark_on_light = preprocess(encode(255 - synthetic_digit()))
    np.testing.assert_allclose(dark_on_light, light_on_dark, atol=1e-6)
    assert dark_on_light[0, 0] == 0.0  # background black as in MNIST


def test_off_centre_digit_is_centred_by_mass() -> None:
    page = large_page(synthetic_digit(), 5, (300, 400), (150, 250))  # bottom-right corner
    field = preprocess(encode(page))
    row, col = centre_of_mass(field)
    assert abs(row - CENTRE) <= 0.5 and abs(col - CENTRE) <= 0.5


def test_longer_side_scaled_to_20_keeping_aspect_ratio() -> None:
    tall = synthetic_digit(height=24, width=12)  # 2:1
    field = preprocess(encode(large_page(tall, 8, (300, 300), (10, 10))))
    height, width = ink_extent(field)
    assert height in (DIGIT_BOX - 1, DIGIT_BOX, DIGIT_BOX + 1)
    assert width == pytest.approx(DIGIT_BOX / 2, abs=1.5)


def test_small_digit_is_scaled_up() -> None:
    tiny = np.zeros((60, 60), np.uint8)
    tiny[20:30, 25:30] = 255  # a 10×5 bar
    height, _ = ink_extent(preprocess_array(tiny.astype(np.float32)))
    assert height in (DIGIT_BOX - 1, DIGIT_BOX, DIGIT_BOX + 1)


def test_paper_texture_and_specks_do_not_stretch_the_box() -> None:
    rng = np.random.default_rng(0)
    page = large_page(synthetic_digit(), 5, (300, 400), (80, 100)).astype(np.float64)
    page = np.clip(page * 0.92 + rng.normal(0, 6, page.shape), 0, 255)  # grey, grainy paper
    page[5, 5] = page[290, 390] = 0  # two isolated specks far from the digit
    textured = preprocess(encode(page.astype(np.uint8)))
    clean = preprocess(encode(large_page(synthetic_digit(), 5, (300, 400), (80, 100))))
    assert np.abs(textured - clean).mean() < 0.03
    assert textured[:3].max() < 0.1  # no haze left from the texture


def test_transparent_canvas_export_is_composited_onto_white() -> None:
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = np.asarray(Image.fromarray(synthetic_digit()).resize((280, 280)))  # black ink
    field = preprocess(encode(rgba))
    reference = preprocess(encode(large_page(synthetic_digit(), 10, (280, 280), (0, 0))))
    assert np.abs(field - reference).mean() < 0.02


def test_exif_orientation_is_applied() -> None:
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255  # a vertical bar
    digit[6:10, 12:22] = 255  # with a flag to the right at the top: not symmetric
    rotated = Image.fromarray(digit).transpose(Image.Transpose.ROTATE_90)  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    rotated.save(buffer, format="JPEG", quality=100, exif=exif)
    field = preprocess(buffer.getvalue())
    upright = preprocess(encode(digit))
    assert np.abs(field - upright).mean() < 0.05


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("PNG", {}),
        ("JPEG", {"quality": 95}),
        ("GIF", {}),
        ("BMP", {}),
        ("WEBP", {"lossless": True}),
        ("TIFF", {}),
    ],
)
def test_each_accepted_format_decodes(fmt: str, options: dict) -> None:
    digit = synthetic_digit()
    field = preprocess(encode(digit, fmt, **options))
    assert np.abs(field - digit / 255.0).mean() < 0.02


def test_gif_uses_the_first_frame() -> None:
    first, second = synthetic_digit(), np.zeros((28, 28), np.uint8)
    second[4:24, 13:15] = 255
    buffer = io.BytesIO()
    Image.fromarray(first).save(
        buffer, format="GIF", save_all=True, append_images=[Image.fromarray(second)]
    )
    assert np.abs(preprocess(buffer.getvalue()) - first / 255.0).mean() < 0.02


def test_sixteen_bit_png_is_scaled() -> None:
    digit = synthetic_digit().astype(np.uint16) * 257
    field = preprocess(encode(Image.fromarray(digit)))  # mode I;16
    assert field.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("data", "error", "text"),
    [
        (b"", NoImage, "empty"),
        (
            b"%PDF-1.4 not an image",
            UnsupportedImage,
            "PNG, JPEG, GIF, BMP, WEBP, TIFF",
        ),
        (encode(synthetic_digit(), "ICO"), UnsupportedImage, "accepted format"),
        (encode(synthetic_digit())[:70], CorruptImage, "truncated or corrupt"),
        (encode(np.full((50, 50), 200, np.uint8)), NoInk, "blank"),
        (
            encode(np.full((50, 50), 200, np.uint8) + np.eye(50, dtype=np.uint8) * 10),
            NoInk,
            "blank",
        ),
    ],
    ids=["empty", "pdf", "ico", "truncated", "blank", "faint"],
)
def test_bad_images_raise_clear_errors(data: bytes, error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        preprocess(data)


def png_claiming_size(width: int, height: int) -> bytes:
    """A small valid PNG whose header claims width×height: a decompression bomb's shape."""
    data = bytearray(encode(synthetic_digit()))
    data[16:24] = struct.pack(">II", width, height)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # IHDR CRC
    return bytes(data)


@pytest.mark.parametrize(
    ("width", "height", "text"),
    [
        (6_000, 5_000, "6000×5000 = 30,000,000 pixels, over the pixel limit of 25,000,000"),
        (20_000, 20_000, "pixel limit of 25,000,000"),  # Pillow's own bomb check fires first
    ],
)
def test_pixel_limit_is_checked_before_decoding(width: int, height: int, text: str) -> None:
    with pytest.raises(ImageTooLarge, match=text):
        preprocess(png_claiming_size(width, height), max_pixels=25_000_000)


def test_decoded_bytes_limit_counts_bytes_per_pixel() -> None:
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = synthetic_digit()
    data = bytearray(encode(rgba))
    data[16:24] = struct.pack(">II", 5_000, 4_000)  # 20 Mpx: under the pixel limit
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    with pytest.raises(ImageTooLarge, match="mode RGBA: 80,032,000 bytes decoded"):
        preprocess(bytes(data), max_decoded_bytes=64 * 1024 * 1024)


def test_decoded_bytes_count_a_pointer_per_line() -> None:
    tall = png_claiming_size(1, 25_000_000)  # 25 Mpx of 1 byte, and 25 M line pointers
    with pytest.raises(ImageTooLarge, match="225,000,000 bytes decoded"):
        preprocess(tall, max_pixels=25_000_000, max_decoded_bytes=64 * 1024 * 1024)


def test_long_thin_image_is_reduced_before_the_float_steps() -> None:
    strip = np.zeros((20_000, 3), np.uint8)
    strip[9_000:11_000] = 255  # a bar: ink in the middle tenth
    image = load(open_checked(encode(strip)))
    assert image.size == (3, 1_000)  # box-reduced 20× along the long side only
    assert preprocess(encode(strip)).max() == pytest.approx(1.0)


def test_large_page_gives_the_same_digit_after_reduction() -> None:
    page = large_page(synthetic_digit(), 100, (3_000, 3_000), (50, 80))  # over WORK_MAX_SIDE
    small = large_page(synthetic_digit(), 50, (1_500, 1_500), (25, 40))
    assert np.abs(preprocess(encode(page)) - preprocess(encode(small))).mean() < 0.02
