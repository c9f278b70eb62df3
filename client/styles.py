"""MNIST digits rendered as the image files people upload.

Used by the `samples` command and by the upload-accuracy test and benchmark, which check
that preprocessing recovers what the model expects from each style:

- plain:        the 28×28 grey PNG, light digit on black, exactly as in MNIST;
- paper:        black ink on white paper with texture, 5× larger, off-centre (PNG);
- canvas:       a large 400×300 white canvas with the digit small and off-centre (PNG);
- photo:        a photo-like JPEG: tinted paper, uneven light, coloured pen, sensor noise;
- transparent:  a 280×280 RGBA PNG like a browser canvas export (ink in the alpha channel).

Each render is deterministic for a given numpy Generator.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image

STYLES = ("plain", "paper", "canvas", "photo", "transparent")
EXTENSIONS = {"plain": "png", "paper": "png", "canvas": "png", "photo": "jpg", "transparent": "png"}


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _upscaled_ink(digit: np.ndarray, side: int) -> np.ndarray:
    """The digit as ink coverage 0..1 at side×side pixels (bicubic, smooth strokes)."""
    image = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0


def _place(ink: np.ndarray, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Put the ink patch at a random position of a height×width page."""
    page = np.zeros((height, width), dtype=np.float32)
    top = int(rng.integers(0, height - ink.shape[0] + 1))
    left = int(rng.integers(0, width - ink.shape[1] + 1))
    page[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return page


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def render_plain(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    return _encode(Image.fromarray(digit), "PNG")


def render_paper(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _place(_upscaled_ink(digit, 140), 180, 180, rng)
    paper = 238.0 + rng.normal(0.0, 6.0, ink.shape)  # paper grain
    page = paper * (1.0 - ink) + 25.0 * ink
    return _encode(Image.fromarray(_to_uint8(page)), "PNG")


def render_canvas(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    side = int(rng.integers(90, 200))
    ink = _place(_upscaled_ink(digit, side), 300, 400, rng)
    return _encode(Image.fromarray(_to_uint8(255.0 * (1.0 - ink))), "PNG")


def render_photo(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _place(_upscaled_ink(digit, 168), 240, 240, rng)[..., np.newaxis]
    tint = rng.uniform([200, 190, 150], [250, 240, 225])  # cream, yellowish, bluish paper
    pen = rng.uniform([10, 10, 40], [60, 60, 120])  # dark blue to black
    rows = np.linspace(0.85, 1.05, ink.shape[0])[:, np.newaxis, np.newaxis]  # uneven light
    page = (tint * (1.0 - ink) + pen * ink) * rows + rng.normal(0.0, 4.0, (*ink.shape[:2], 3))
    return _encode(Image.fromarray(_to_uint8(page), mode="RGB"), "JPEG", quality=80)


def render_transparent(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    alpha = _to_uint8(255.0 * _upscaled_ink(digit, 280))
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = alpha  # black strokes; colour only where alpha > 0
    return _encode(Image.fromarray(rgba, mode="RGBA"), "PNG")


RENDERERS: dict[str, Callable[[np.ndarray, np.random.Generator], bytes]] = {
    "plain": render_plain,
    "paper": render_paper,
    "canvas": render_canvas,
    "photo": render_photo,
    "transparent": render_transparent,
}


def render(digit: np.ndarray, style: str, rng: np.random.Generator) -> bytes:
    """A uint8 [28, 28] MNIST digit (light on dark) as an image file in the given style."""
    if style not in RENDERERS:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    if digit.shape != (28, 28) or digit.dtype != np.uint8:
        raise ValueError(f"expected a uint8 28×28 digit, got {digit.dtype} {digit.shape}")
    return RENDERERS[style](digit, rng)
