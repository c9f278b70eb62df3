"""Damaged digits (training/corrupt.py): each corruption keeps the field's shape and range, is
the same for a seed, does what it says; the pool is what the reader reads of them, mixed
into the training stream without being augmented again."""

from __future__ import annotations

import numpy as np
import pytest

from contract.digits import Split, load_bundled
from training import corrupt as corrupt_module
from training.corrupt import (
    IMPULSE_SHARE,
    KINDS,
    bands,
    broken,
    corrupt,
    corrupted_fields,
    dotted,
    edges,
    impulse,
    lines,
    low_res,
    read_field,
)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_bundled().images[:12].astype(np.float32) / 255.0


def square(size: int = 10) -> np.ndarray:
    """A solid square of ink in the middle of an empty field."""
    image = np.zeros((28, 28), np.float32)
    start = 14 - size // 2
    image[start : start + size, start : start + size] = 1.0
    return image


@pytest.mark.parametrize("kind", KINDS)
def test_each_corruption_keeps_the_field_changes_it_and_repeats_for_a_seed(
    kind: str, digits: np.ndarray
) -> None:
    for image in digits[:4]:
        out = corrupt(image, kind, np.random.default_rng(5))
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0
        assert np.abs(out - image).max() > 0.1, f"{kind} left the digit as it was"
        np.testing.assert_array_equal(out, corrupt(image, kind, np.random.default_rng(5)))
    others = [corrupt(image, kind, np.random.default_rng(6)) for image in digits[:4]]
    firsts = [corrupt(image, kind, np.random.default_rng(5)) for image in digits[:4]]
    assert any(not np.array_equal(a, b) for a, b in zip(firsts, others, strict=True))


def test_unknown_kinds_and_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown corruption 'rain'"):
        corrupt(np.zeros((28, 28)), "rain", np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"expected an image \[28, 28\], got \[28, 29\]"):
        corrupt(np.zeros((28, 29)), "blur", np.random.default_rng(0))


def test_impulse_noise_sets_isolated_pixels_to_ink_or_paper() -> None:
    image = square()
    for seed in range(5):
        out = impulse(image, np.random.default_rng(seed))
        changed = np.mean(out != image)
        # Pixels hit are set to 0 or 1: about half already had that value.
        assert IMPULSE_SHARE[0] / 4 < changed < IMPULSE_SHARE[1]
        assert set(np.unique(out)) <= {0.0, 1.0}
        salt = (out == 1) & (image == 0)
        padded = np.pad(salt, 1)
        neighbours = np.sum(
            [
                padded[1 + r : 29 + r, 1 + c : 29 + c]
                for r in (-1, 0, 1)
                for c in (-1, 0, 1)
                if r or c
            ],
            axis=0,
        )
        assert np.mean(neighbours[salt] == 0) > 0.3, "most salt pixels stand alone"


def test_edges_leave_a_hollow_outline() -> None:
    image = square()
    for seed in range(5):
        out = edges(image, np.random.default_rng(seed))
        assert (out[image > 0] == 0).all(), "the stroke itself is hollow"
        ring = out > 0
        assert 36 <= ring.sum() <= 60  # a one-pixel ring round a 10 or 12 px square
        rows = range(9, 19)  # the square's rows: ink of the ring on both sides, none inside
        assert all(ring[row, :9].any() and ring[row, 19:].any() for row in rows)


def test_low_resolution_has_at_most_side_squared_blocks() -> None:
    rng = np.random.default_rng(0)
    image = rng.random((28, 28)).astype(np.float32)
    for seed in range(10):
        out = low_res(image, np.random.default_rng(seed))
        distinct = len(np.unique(out))
        # Blocky (nearest) copies hold at most 14 × 14 values; smooth ones vary slowly.
        steps = np.abs(np.diff(out, axis=1)).mean()
        assert distinct <= 14 * 14 or steps < np.abs(np.diff(image, axis=1)).mean() / 2


def test_lines_cross_the_whole_field_over_the_digit(digits: np.ndarray) -> None:
    for seed, image in enumerate(digits):
        out = lines(image, np.random.default_rng(seed))
        assert (out >= image - 1e-6).all(), "lines add ink, never remove it"
        border = np.concatenate([out[0], out[-1], out[:, 0], out[:, -1]])
        assert (border > 0.2).sum() >= 2, "a line runs out of the field"


def test_bands_swap_ink_and_paper() -> None:
    for seed in range(5):
        assert (bands(np.zeros((28, 28), np.float32), np.random.default_rng(seed)) > 0.9).any()
        assert (bands(np.ones((28, 28), np.float32), np.random.default_rng(seed)) < 0.1).any()


def test_broken_and_dotted_strokes_only_remove_ink(digits: np.ndarray) -> None:
    for seed, image in enumerate(digits):
        gaps = broken(image, np.random.default_rng(seed))
        assert (gaps <= image).all() and gaps.sum() < 0.97 * image.sum()
        dots = dotted(image, np.random.default_rng(seed))
        assert (dots <= image).all() and dots.sum() < 0.6 * image.sum()


def test_the_pool_is_what_the_reader_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = load_bundled()
    images, labels = bundled.images[:40], bundled.labels[:40]
    readings: list[np.ndarray] = []
    real_read = corrupt_module.read_array

    def spying(gray: np.ndarray) -> object:
        reading = real_read(gray)
        readings.append(reading.digits[0].image[..., 0])
        return reading

    monkeypatch.setattr(corrupt_module, "read_array", spying)
    fields, pool_labels, kinds = corrupted_fields(images, labels, 48, seed=3)
    assert len(readings) == len(fields) <= 48 and len(fields) > 40
    expected = np.rint(255 * np.stack(readings)).astype(np.uint8)
    np.testing.assert_array_equal(fields, expected)
    assert set(kinds.tolist()) == set(range(len(KINDS)))  # every corruption has its turn
    assert set(pool_labels.tolist()) <= set(labels.tolist())
    again = corrupted_fields(images, labels, 48, seed=3)
    np.testing.assert_array_equal(again[0], fields)


def test_undamaged_the_pool_is_the_digits_as_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the corruption made the identity, each field is the reader's field of a digit,
    under that digit's label."""
    bundled = load_bundled()
    images, labels = bundled.images[:30], bundled.labels[:30]
    monkeypatch.setattr(corrupt_module, "corrupt", lambda image, kind, rng: image)
    fields, pool_labels, _ = corrupted_fields(images, labels, 30, seed=1, vary=False)
    as_read = {}
    for image, label in zip(images, labels, strict=True):
        field = read_field(image.astype(np.float32) / 255)
        assert field is not None, "a bundled digit reads as blank"
        as_read[np.rint(255 * field).astype(np.uint8).tobytes()] = label
    for image, label in zip(fields, pool_labels, strict=True):
        assert as_read[image.tobytes()] == label


def test_each_epoch_mixes_in_a_new_draw_of_the_pool_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    train_module = pytest.importorskip("training.train")
    bundled = load_bundled()
    train = Split(bundled.images[:100], bundled.labels[:100])
    pool = Split(255 - bundled.images[100:140], bundled.labels[100:140])  # told apart by polarity
    epochs = list(train_module.augmented_epochs(train, 64, 2, seed=0, pool=pool, per_epoch=20))
    assert [len(labels) for _, labels in epochs] == [64, 56] * 2
    by_image = {
        image.tobytes(): label for image, label in zip(pool.images, pool.labels, strict=True)
    }
    drawn: list[set[bytes]] = [set(), set()]
    for number, (batch, labels) in enumerate(epochs):
        for image, label in zip(batch, labels, strict=True):
            key = np.rint(image[..., 0] * 255).astype(np.uint8).tobytes()
            if key in by_image:  # a pool field, not augmented again
                assert by_image[key] == label
                drawn[number // 2].add(key)
    assert len(drawn[0]) == len(drawn[1]) == 20 and drawn[0] != drawn[1]


def test_the_pool_holds_the_damaged_digits_and_the_marks_as_read() -> None:
    train_module = pytest.importorskip("training.train")
    bundled = load_bundled()
    train = Split(bundled.images[:20], bundled.labels[:20])
    marks = Split(np.zeros((3, 28, 28), np.uint8), np.full(3, 10, np.int64))
    pool = train_module.corrupted_pool(train, 16, 0, marks)
    assert pool is not None and 12 < len(pool) <= 19
    assert (pool.labels[-3:] == 10).all() and (pool.labels[:-3] < 10).all()
    none = Split(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))
    assert train_module.corrupted_pool(train, 0, 0, none) is None
