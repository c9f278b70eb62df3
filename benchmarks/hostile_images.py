"""Damaged images for fuzzing the decoder: real files of every accepted format and flavour,
truncated and mutated by a seeded generator (the same cases in every run).

Used by tests/reader/test_decoder_fuzz.py (the decoder in process) and by
benchmarks/hostile.py (the same cases over HTTP against a running gateway).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator

import numpy as np
from PIL import Image

SIDE = 48  # small: thousands of cases decode in seconds


def _digit() -> np.ndarray:
    """A light ring on black: a zero, with some grey so every encoder has detail to keep."""
    rows, cols = np.mgrid[:SIDE, :SIDE]
    radius = np.hypot((rows - SIDE / 2) / 1.4, cols - SIDE / 2)
    return np.clip(255 - np.abs(radius - SIDE / 4) * 60, 0, 255).astype(np.uint8)


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _frames(image: Image.Image) -> list[Image.Image]:
    return [image.rotate(angle) for angle in (0, 90, 180)]


def seed_files() -> dict[str, bytes]:
    """One valid file per format and flavour the fuzzer starts from."""
    gray = Image.fromarray(_digit())
    rgb = Image.merge("RGB", (gray, gray.rotate(90), gray))
    rgba = Image.merge("RGBA", (*rgb.split(), gray))
    frames = _frames(gray.convert("P"))
    return {
        "png": _save(gray, "PNG"),
        "png-rgba": _save(rgba, "PNG"),
        "png-16bit": _save(Image.fromarray(_digit().astype(np.uint16) * 257), "PNG"),
        "png-palette": _save(rgb.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
        "jpeg": _save(rgb, "JPEG", quality=90),
        "jpeg-progressive": _save(gray, "JPEG", progressive=True),
        "jpeg-cmyk": _save(rgb.convert("CMYK"), "JPEG"),
        "webp": _save(rgb, "WEBP", quality=80),
        "webp-lossless": _save(rgba, "WEBP", lossless=True),
        "gif-animated": _save(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "tiff-multipage": _save(gray, "TIFF", save_all=True, append_images=_frames(gray)[1:]),
        "tiff-deflate": _save(rgb, "TIFF", compression="tiff_adobe_deflate"),
        "bmp": _save(rgb, "BMP"),
    }


Mutation = Callable[[bytes, random.Random], bytes]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
    return bytes(mutated)


def flip_header(data: bytes, rng: random.Random) -> bytes:
    """A byte of the first 64 changed: sizes, modes, chunk lengths, offsets."""
    mutated = bytearray(data)
    mutated[rng.randrange(min(64, len(data)))] = rng.randrange(256)
    return bytes(mutated)


def splice(data: bytes, rng: random.Random) -> bytes:
    """A run of bytes repeated or removed: duplicated chunks, shifted offsets."""
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 64))
    if rng.random() < 0.5:
        return data[:start] + data[start:end] * rng.randint(2, 4) + data[end:]
    return data[:start] + data[end:]


def extreme_values(data: bytes, rng: random.Random) -> bytes:
    """A 32-bit field set to 0 or 0xFFFFFFFF: lengths, counts and offsets at their limits."""
    mutated = bytearray(data)
    at = rng.randrange(max(1, len(data) - 4))
    mutated[at : at + 4] = rng.choice((b"\0\0\0\0", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff"))
    return bytes(mutated)


MUTATIONS: tuple[Mutation, ...] = (truncate, flip_bytes, flip_header, splice, extreme_values)


def cases(per_seed: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """`per_seed` damaged variants of each seed file, named `flavour/mutation/index`."""
    rng = random.Random(seed)
    for flavour, data in seed_files().items():
        for index in range(per_seed):
            mutation = MUTATIONS[index % len(MUTATIONS)]
            yield f"{flavour}/{mutation.__name__}/{index}", mutation(data, rng)
