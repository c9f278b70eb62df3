"""Real digits as PNG files, with the standard library only: the bundled held-out digits
(contract/data/held_out_digits.npz, read without numpy) encoded as 8-bit grayscale PNGs.
For scripts that run outside the venv (the compose smoke run)."""

from __future__ import annotations

import ast
import struct
import zipfile
import zlib
from pathlib import Path

BUNDLED_DIGITS = Path(__file__).resolve().parents[1] / "contract" / "data" / "held_out_digits.npz"
NPY_MAGIC = b"\x93NUMPY"


def read_npy(data: bytes) -> tuple[str, tuple[int, ...], bytes]:
    """(dtype descr, shape, raw data) of a C-ordered .npy file (format 1.0 or 2.0)."""
    if not data.startswith(NPY_MAGIC):
        raise ValueError("not a .npy file")
    major = data[6]
    size_format, offset = ("<H", 8) if major == 1 else ("<I", 8)
    (header_len,) = struct.unpack_from(size_format, data, offset)
    start = offset + struct.calcsize(size_format)
    header = ast.literal_eval(data[start : start + header_len].decode("latin-1"))
    if header["fortran_order"]:
        raise ValueError("Fortran-ordered arrays are not read here")
    return header["descr"], tuple(header["shape"]), data[start + header_len :]


def png(pixels: bytes, width: int, height: int) -> bytes:
    """An 8-bit grayscale PNG of `pixels` (row by row)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def digit_pngs(count: int, path: Path = BUNDLED_DIGITS) -> tuple[list[bytes], list[int]]:
    """`count` bundled digits, evenly spaced (the file is sorted by label), as PNG files,
    and their labels."""
    with zipfile.ZipFile(path) as npz:
        image_descr, (total, height, width), images = read_npy(npz.read("images.npy"))
        label_descr, _, labels = read_npy(npz.read("labels.npy"))
    if image_descr != "|u1" or label_descr != "<i8":
        raise ValueError(f"unexpected dtypes {image_descr}, {label_descr} in {path}")
    size = height * width
    picked = range(0, total, max(1, total // count))[:count]
    pngs = [png(images[i * size : (i + 1) * size], width, height) for i in picked]
    values = [struct.unpack_from("<q", labels, 8 * i)[0] for i in picked]
    return pngs, values
