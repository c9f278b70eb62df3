"""Training-time augmentation: it changes the images and not their labels, is the same for a
seed, and never reaches the model that is exported."""

from __future__ import annotations

import numpy as np
import pytest

from contract.digits import load_bundled
from training.augment import FELT, augment, elastic_field, felt_pen, pen_width, warp
from training.data import Split


@pytest.fixture(scope="module")
def digits() -> Split:
    return load_bundled()  # 500 real digits, 50 per class


def as_float(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 255.0


def test_augmented_images_differ_but_stay_digit_fields(digits: Split) -> None:
    images = as_float(digits.images[:200])
    out = augment(images, np.random.default_rng(0))
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_allclose(out.max(axis=(1, 2)), 1.0, rtol=1e-6)  # as preprocessing leaves
    changed = np.abs(out - images).mean(axis=(1, 2))
    assert (changed > 0.01).all(), "every image is drawn anew"
    # Still the same digit: each is nearer its own original than most other digits.
    own = ((out - images) ** 2).mean(axis=(1, 2))
    others = ((out[:, np.newaxis] - images[np.newaxis]) ** 2).mean(axis=(2, 3))
    assert (own < np.median(others, axis=1)).mean() > 0.95


def test_same_seed_same_images_other_seed_others(digits: Split) -> None:
    images = as_float(digits.images[:50])
    first = augment(images, np.random.default_rng(3))
    np.testing.assert_array_equal(first, augment(images, np.random.default_rng(3)))
    assert not np.allclose(first, augment(images, np.random.default_rng(4)))


def test_pen_width_makes_strokes_both_broader_and_finer(digits: Split) -> None:
    images = as_float(digits.images)
    ink = pen_width(images, np.random.default_rng(1)).sum(axis=(1, 2))
    ratio = ink / images.sum(axis=(1, 2))
    assert (ratio > 1.2).mean() > 0.1, "some pens broader"
    assert (ratio < 0.9).mean() > 0.05, "some pens finer"
    assert (np.abs(ratio - 1) < 1e-6).mean() > 0.3, "about half left as written"


def test_a_felt_pen_fills_small_loops_and_keeps_the_strokes(digits: Split) -> None:
    images = as_float(digits.images)
    out = felt_pen(images, np.random.default_rng(2))
    changed = np.abs(out - images).max(axis=(1, 2)) > 0
    assert abs(changed.mean() - FELT) < 0.06  # about FELT of the images
    assert (out[changed] >= images[changed] - 1e-6).mean() > 0.97  # ink added, hardly removed
    ink = out[changed].sum(axis=(1, 2)) / images[changed].sum(axis=(1, 2))
    assert np.median(ink) < 1.5  # a closing, not a broader pen
    # A ring's 2-pixel hole is filled.
    ring = np.zeros((1, 28, 28), np.float32)
    ring[0, 10:18, 10:18] = 1.0
    ring[0, 13:15, 13:15] = 0.0
    closed = felt_pen(np.repeat(ring, 200, axis=0), np.random.default_rng(0))
    filled = closed[:, 13:15, 13:15].min(axis=(1, 2)) == 1.0
    assert filled.any() and (filled == (np.abs(closed - ring).max(axis=(1, 2)) > 0)).all()


def test_identity_coordinates_sample_the_image_itself(digits: Split) -> None:
    images = as_float(digits.images[:5])
    identity = np.broadcast_to(np.mgrid[0:28, 0:28].astype(np.float64), (5, 2, 28, 28))
    np.testing.assert_allclose(warp(images, identity), images, atol=1e-6)
    shifted = identity + np.array([0.0, 1.0])[:, np.newaxis, np.newaxis]  # read one column right
    np.testing.assert_allclose(warp(images, shifted)[:, :, :-1], images[:, :, 1:], atol=1e-6)
    assert (warp(images, shifted)[:, :, -1] == 0).all(), "outside the image is background"


def test_elastic_field_is_smooth_and_small() -> None:
    field = elastic_field(100, np.random.default_rng(2))
    assert field.shape == (100, 2, 28, 28)
    assert 0.3 < field.std() < 2.0  # a pixel or so
    step = np.abs(np.diff(field, axis=-1)).max()
    assert step < 0.5 * np.abs(field).max(), "neighbours move together"


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"expected images \[n, 28, 28\], got \[3, 28, 29\]"):
        augment(np.zeros((3, 28, 29)), np.random.default_rng(0))


def test_epochs_keep_each_image_with_its_label(
    digits: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With augmentation made the identity, every batch holds the images it says it holds."""
    train_module = pytest.importorskip("training.train")
    monkeypatch.setattr(train_module, "augment", lambda images, rng: images)
    split = Split(digits.images[:130], digits.labels[:130])
    by_image = {split.images[i].tobytes(): split.labels[i] for i in range(len(split))}
    epochs = list(train_module.augmented_epochs(split, batch_size=64, epochs=2, seed=5))
    assert [len(labels) for _, labels in epochs] == [64, 64, 2] * 2
    seen = []
    for images, labels in epochs:
        assert images.shape[1:] == (28, 28, 1)
        for image, label in zip(images, labels, strict=True):
            key = np.rint(image[..., 0] * 255).astype(np.uint8).tobytes()
            assert by_image[key] == label
            seen.append(key)
    assert sorted(seen[:130]) == sorted(seen[130:]) == sorted(by_image)  # each once an epoch
    assert seen[:130] != seen[130:], "each epoch in a new order"


def test_epochs_are_augmented_and_the_same_for_a_seed(digits: Split) -> None:
    train_module = pytest.importorskip("training.train")
    split = Split(digits.images[:100], digits.labels[:100])

    def stream(seed: int) -> list[np.ndarray]:
        return [b for b, _ in train_module.augmented_epochs(split, 50, epochs=2, seed=seed)]

    first = stream(1)
    assert all(np.array_equal(a, b) for a, b in zip(first, stream(1), strict=True))
    assert not np.array_equal(first[0], stream(2)[0])
    originals = {image.tobytes() for image in split.images}
    augmented = {
        np.rint(b[..., 0] * 255).astype(np.uint8).tobytes() for batch in first for b in batch
    }
    assert not augmented & originals, "no image goes through unchanged"
