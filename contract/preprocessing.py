"""Uploaded image bytes to the model's input, the way MNIST itself was made.

Pure functions on bytes and numpy arrays (Pillow and numpy only, no TensorFlow), shared
by the gateway, the clients and the benchmarks. The steps:

1. decode: PNG, JPEG, GIF (first frame), BMP, WebP or TIFF; the pixel and decoded-bytes
   limits are checked on the header, before the pixels are decoded; EXIF orientation
   applied; an image with a side over WORK_MAX_SIDE is box-reduced to it in Pillow, so
   the float steps below never cost more than a 1024×1024 image does;
2. grayscale, with transparency composited onto white;
3. polarity: the ink is whichever extreme lies further from the background (the median of
   the border), so dark-on-light images are inverted to MNIST's light-on-dark;
4. normalise: background to 0, ink peak to 1, and a floor at a few standard deviations of
   the background's noise (paper texture, JPEG ringing) cut to 0;
5. crop to the ink's bounding box (specks removed by a median filter on large images),
   scale the longer side to 20 px with anti-aliasing, keep the aspect ratio;
6. paste in a 28×28 field and shift the centre of mass to the centre (MNIST's procedure;
   the centre measured on MNIST digits is (14.0, 14.0) in pixel indices).

A 28×28 upload is already at the model's resolution: it skips step 5 (resampling would
only blur it), so MNIST's own digits pass through unchanged.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from contract.model import IMAGE_SIDE

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
FIELD_SIZE = IMAGE_SIDE
DIGIT_BOX = 20  # MNIST's digits fit a 20×20 box inside the field
CENTRE = 14.0  # mean centre of mass of MNIST digits, in pixel indices
BORDER_FRACTION = 0.05  # outer band whose median is the background level
MIN_CONTRAST = 40.0  # grey levels (of 255) between background and ink, else "no ink"
NOISE_FLOOR_SIGMAS = 4.0  # background noise below this many std devs is not ink
MAX_NOISE_FLOOR = 0.3
SPECKLE_FILTER_MIN_SIDE = 64  # median-filter the ink mask of images at least this large
DEFAULT_MAX_PIXELS = 25_000_000
# What the decode holds in memory: Pillow's storage, height × (width × bytes per pixel +
# a pointer per line): a 1×25,000,000 image costs 225 MB, not 25.
DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024
LINE_POINTER_BYTES = 8
WORK_MAX_SIDE = 1024  # larger images are box-reduced before the float steps


class ImageError(Exception):
    """An upload that cannot become the model's input; the message names the limit or cause.

        ImageError
        ├── NoImage           the image is empty (0 bytes)
        ├── ImageTooLarge     over the pixel or decoded-bytes limit (checked before the decode)
        ├── UnsupportedImage  not an image, or a format not accepted
        ├── CorruptImage      truncated or damaged image data
        └── NoInk             a blank image: nothing to recognize

    `code` is the stable name that the gateway's error bodies carry.
    """

    code = "bad_image"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoImage(ImageError):
    code = "no_image"


class ImageTooLarge(ImageError):
    code = "image_too_large"


class UnsupportedImage(ImageError):
    code = "unsupported_image"


class CorruptImage(ImageError):
    code = "corrupt_image"


class NoInk(ImageError):
    code = "no_ink"


def decoded_bytes(width: int, height: int, mode: str) -> int:
    """Memory of the decoded image in Pillow: its lines, and a pointer to each."""
    return height * (width * bytes_per_pixel(mode) + LINE_POINTER_BYTES)


def bytes_per_pixel(mode: str) -> int:
    """Bytes per pixel of Pillow's storage: 1 for "1", "L", "P", 2 for I;16, else 4."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


MAX_CAUSE_CHARS = 120  # of Pillow's own message, quoted in ours


def corrupt(what: str, exc: Exception) -> CorruptImage:
    cause = str(exc)[:MAX_CAUSE_CHARS] or type(exc).__name__
    return CorruptImage(f"the {what} is truncated or corrupt: {cause}")


@contextmanager
def decoder_errors(what: str) -> Iterator[None]:
    """Any failure of Pillow on these bytes is a corrupt upload (422), never a 500.

    Damaged or hostile files make Pillow raise OSError, ValueError, SyntaxError, EOFError,
    struct.error, IndexError, ZeroDivisionError and more, depending on the plugin; the
    bytes are the cause in every case. Our own ImageErrors pass through.
    """
    try:
        yield
    except ImageError:
        raise
    except Exception as exc:
        raise corrupt(what, exc) from exc


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Pillow's lazy open: the header only, in one of ALLOWED_FORMATS."""
    try:
        return Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(
            f"image is over the pixel limit of {max_pixels:,} (a decompression bomb)"
        ) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImage(
            f"not an image in an accepted format ({', '.join(ALLOWED_FORMATS)})"
        ) from exc
    except Exception as exc:  # as in decoder_errors: the bytes are the cause
        raise corrupt("image", exc) from exc


def check_cost(image: Image.Image, max_pixels: int, max_decoded_bytes: int) -> None:
    """Refuse, from the header, an image whose decode would exceed the limits."""
    width, height = image.size
    pixels = width * height
    if pixels > max_pixels:
        raise ImageTooLarge(
            f"image is {width}×{height} = {pixels:,} pixels, over the pixel limit of {max_pixels:,}"
        )
    decoded = decoded_bytes(width, height, image.mode)
    if decoded > max_decoded_bytes:
        raise ImageTooLarge(
            f"image is {width}×{height} in mode {image.mode}: {decoded:,} bytes decoded, "
            f"over the decoded-size limit of {max_decoded_bytes:,} bytes"
        )


def reducible(image: Image.Image) -> Image.Image:
    """The image in a mode Image.reduce takes (it refuses "1", "P" and I;16)."""
    if image.mode.startswith("I;16"):
        return Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))  # 16 → 8 bits
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    return image.convert("L") if image.mode == "1" else image


def reduce_to_work_size(image: Image.Image) -> Image.Image:
    """Box-reduce so that no side exceeds WORK_MAX_SIDE (what the float steps cost)."""
    width, height = image.size
    factors = (math.ceil(width / WORK_MAX_SIDE), math.ceil(height / WORK_MAX_SIDE))
    if factors == (1, 1):
        return image
    return reducible(image).reduce(factors)


def open_checked(
    data: bytes,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> Image.Image:
    """The upload opened from its header alone, refused when over the limits."""
    if not data:
        raise NoImage("the image is empty (0 bytes)")
    image = open_image(data, max_pixels)
    check_cost(image, max_pixels, max_decoded_bytes)
    return image


def decoded_size(image: Image.Image) -> int:
    """What decoding an opened image will hold in memory."""
    return decoded_bytes(*image.size, image.mode)


def load(image: Image.Image) -> Image.Image:
    """Decode an opened image's pixels, upright, reduced to the work size."""
    with decoder_errors(f"{image.format} image"):
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return reduce_to_work_size(image)


def to_grayscale(image: Image.Image) -> np.ndarray:
    """float32 grey levels 0..255, transparency composited onto white."""
    with decoder_errors(f"{image.format or image.mode} image"):  # odd modes: LAB, CMYK, PA…
        return _grey_levels(image)


def _grey_levels(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
        return np.clip(values * (255.0 / top), 0, 255)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("L"), dtype=np.float32)


def border_values(gray: np.ndarray) -> np.ndarray:
    band = max(1, round(min(gray.shape) * BORDER_FRACTION))
    return np.concatenate(
        [gray[:band].ravel(), gray[-band:].ravel(), gray[:, :band].ravel(), gray[:, -band:].ravel()]
    )


def median(values: np.ndarray) -> float:
    """np.median of a 1-D array, without its generic-axis overhead (~10× faster here)."""
    middle = values.size // 2
    if values.size % 2:
        return float(np.partition(values, middle)[middle])
    low, high = np.partition(values, (middle - 1, middle))[middle - 1 : middle + 1]
    return (float(low) + float(high)) / 2


def normalise_ink(gray: np.ndarray) -> np.ndarray:
    """Light ink on a 0 background, scaled 0..1, background noise cut off."""
    border = border_values(gray)
    background = median(border)
    lowest, highest = float(gray.min()), float(gray.max())
    if background - lowest > highest - background:
        gray = 255.0 - gray  # dark ink on light paper
        border = 255.0 - border
        background = 255.0 - background
        highest = 255.0 - lowest
    contrast = highest - background
    if contrast < MIN_CONTRAST:
        raise NoInk(
            f"no digit found: the image is blank (ink contrast {contrast:.0f} of 255, "
            f"at least {MIN_CONTRAST:.0f} needed)"
        )
    ink = np.clip((gray - background) / contrast, 0.0, 1.0)
    noise = float(np.std(np.clip(border - background, 0, None) / contrast))
    floor = min(NOISE_FLOOR_SIGMAS * noise, MAX_NOISE_FLOOR)
    if floor > 0:
        ink = np.clip((ink - floor) / (1.0 - floor), 0.0, 1.0)
    return ink.astype(np.float32, copy=False)


def ink_bounding_box(ink: np.ndarray) -> tuple[slice, slice]:
    mask = ink > 0
    if min(ink.shape) >= SPECKLE_FILTER_MIN_SIDE:
        as_image = Image.fromarray((mask * 255).astype(np.uint8))
        mask = np.asarray(as_image.filter(ImageFilter.MedianFilter(3))) > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise NoInk("no digit found: only isolated specks of ink")
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def fit_digit_box(digit: np.ndarray) -> np.ndarray:
    """Scale so the longer side is DIGIT_BOX pixels, keeping the aspect ratio."""
    height, width = digit.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit, mode="F").resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place in a 28×28 field with the centre of mass at CENTRE (integer shift, as MNIST)."""
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


def preprocess_array(gray: np.ndarray) -> np.ndarray:
    """Grey levels (any size, either polarity) to a float32 [28, 28] MNIST-style field."""
    ink = normalise_ink(gray.astype(np.float32, copy=False))
    rows, cols = ink_bounding_box(ink)
    digit = ink[rows, cols]
    if ink.shape != (FIELD_SIZE, FIELD_SIZE):  # a 28×28 upload is not resampled
        digit = fit_digit_box(digit)
    return centre_by_mass(digit)


def preprocess(
    data: bytes,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> np.ndarray:
    """Image file bytes to the model's input for one image: float32 [28, 28], 0..1."""
    return preprocess_opened(open_checked(data, max_pixels, max_decoded_bytes))


def preprocess_opened(image: Image.Image) -> np.ndarray:
    """An image from `open_checked` to the model's input: float32 [28, 28], 0..1."""
    return preprocess_array(to_grayscale(load(image)))


def preprocess_batch(
    images: Sequence[bytes],
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> np.ndarray:
    """Several uploads to float32 [N, 28, 28, 1], the serving_default input."""
    return preprocess_opened_batch(
        [open_checked(data, max_pixels, max_decoded_bytes) for data in images]
    )


def preprocess_opened_batch(images: Sequence[Image.Image]) -> np.ndarray:
    """Images from `open_checked` to float32 [N, 28, 28, 1], the serving_default input."""
    return np.stack([preprocess_opened(image) for image in images])[..., np.newaxis]


def warm_up() -> None:
    """Import Pillow's decoders and run every step once, so the first upload is not slow."""
    field = np.zeros((FIELD_SIZE, FIELD_SIZE), dtype=np.uint8)
    field[6:22, 12:16] = 255
    buffer = io.BytesIO()
    Image.fromarray(field).save(buffer, format="PNG")
    preprocess(buffer.getvalue())
    preprocess_array(np.kron(255.0 - field, np.ones((3, 3), dtype=np.float32)))
