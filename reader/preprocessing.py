"""Uploaded image bytes to the model's input, the way MNIST itself was made.

Pure functions on bytes and numpy arrays (numpy, Pillow and scipy.ndimage; no TensorFlow), shared
by the gateway, the clients and the benchmarks. The steps:

1. decode: PNG, JPEG, GIF (first frame), BMP, WebP or TIFF; the pixel and decoded-bytes
   limits are checked on the header, before the pixels are decoded; EXIF orientation
   applied; an image with a side over WORK_MAX_SIDE is reduced to it (a large JPEG is
   decoded at a reduced scale, anything else box-reduced in Pillow), so the float steps
   below never cost more than a 1024×1024 image does;
2. grayscale, with transparency composited onto white (coloured inks keep enough contrast
   in the luma: a red, green, blue or purple pen on white paper is 150 grey levels darker);
3. the page (`reader.page`): polarity, lighting flattened, paper lines and sensor noise
   removed, ink scaled 0..1; a mask of the ink, separate from those soft values, and its
   connected components;
4. the digit (`reader.grouping`): the largest component and the ones near it; specks,
   marks and shadows' edges further away are left out;
5. the field (`reader.digit_field`): the digit's ink cut with its mask, the longer side
   scaled to 20 px, a pen much thicker or thinner than MNIST's brought to MNIST's stroke
   width, placed in 28×28 by its centre of mass.

A 28×28 upload is already at the model's resolution: it is not resampled, so MNIST's own
digits pass through unchanged. Several digits in one upload: `reader.reading`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from reader.digit_field import CENTRE, DIGIT_BOX, FIELD_SIZE, cut, to_field
from reader.grouping import main_cluster
from reader.image_errors import (
    CorruptImage,
    ImageError,
    ImageTooLarge,
    NoImage,
    NoInk,
    UnsupportedImage,
)
from reader.page import MIN_CONTRAST, Page, analyse

__all__ = [
    "CENTRE",
    "DIGIT_BOX",
    "FIELD_SIZE",
    "MIN_CONTRAST",
    "CorruptImage",
    "ImageError",
    "ImageTooLarge",
    "NoImage",
    "NoInk",
    "UnsupportedImage",
    "load",
    "load_upright",
    "open_checked",
    "preprocess",
    "preprocess_array",
    "preprocess_opened",
    "to_grayscale",
]

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
DEFAULT_MAX_PIXELS = 25_000_000
# What the decode holds in memory: Pillow's storage, height × (width × bytes per pixel +
# a pointer per line): a 1×25,000,000 image costs 225 MB, not 25.
DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024
LINE_POINTER_BYTES = 8
WORK_MAX_SIDE = 1024  # larger images are box-reduced before the float steps


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
    return load_upright(image)[0]


EXIF_ORIENTATION = 0x0112
SIDEWAYS = (5, 6, 7, 8)  # EXIF orientations that swap width and height


def load_upright(image: Image.Image) -> tuple[Image.Image, tuple[int, int]]:
    """The decoded image at the work size, and the upright upload's own (width, height)."""
    with decoder_errors(f"{image.format} image"):
        width, height = image.size
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
        if orientation in SIDEWAYS:
            width, height = height, width
        draft_jpeg(image)
        image.load()
        if orientation != 1:  # exif_transpose would read the EXIF again to do nothing
            ImageOps.exif_transpose(image, in_place=True)
        return reduce_to_work_size(image), (width, height)


def draft_jpeg(image: Image.Image) -> None:
    """A JPEG over twice the work size is decoded at 1/2, 1/4 or 1/8 scale, its luma only
    (the DCT's own reduction: a 12-megapixel photo decodes 5× faster)."""
    width, height = image.size
    if image.format != "JPEG" or max(width, height) < 2 * WORK_MAX_SIDE:
        return
    shrink = max(width, height) / WORK_MAX_SIDE
    image.draft("L", (math.ceil(width / shrink), math.ceil(height / shrink)))


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


def preprocess_array(gray: np.ndarray) -> np.ndarray:
    """Grey levels (any size, either polarity) to a float32 [28, 28] MNIST-style field."""
    return digit_field(analyse(gray))


def digit_field(page: Page) -> np.ndarray:
    """The page's digit (its main cluster of components) as the model's field."""
    components = page.components if page.small else main_cluster(page.components, page.mask.shape)
    ink, _ = cut(page, components)
    return to_field(ink, resample=page.ink.shape != (FIELD_SIZE, FIELD_SIZE))


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


def warm_up_pages() -> tuple[bytes, np.ndarray]:
    """A small PNG of a stroke and a page three times its size, dark on light: what a
    warm-up decodes and reads, one of each path."""
    field = np.zeros((FIELD_SIZE, FIELD_SIZE), dtype=np.uint8)
    field[6:22, 12:16] = 255
    buffer = io.BytesIO()
    Image.fromarray(field).save(buffer, format="PNG")
    return buffer.getvalue(), np.kron(255.0 - field, np.ones((3, 3), dtype=np.float32))


def warm_up() -> None:
    """Import Pillow's decoders and run every step once, so the first upload is not slow."""
    small, page = warm_up_pages()
    preprocess(small)
    preprocess_array(page)
