"""Plain PNGs lose nothing against the raw arrays: MNIST digits as 28×28 PNG files, through
preprocessing, within 0.3 points of the same digits as arrays (one digit is 0.2 points).

The model is the `published_model` SavedModel, loaded in this process; the digits are the
bundled subset's validation split (never trained on). Every other upload style is held to
within 1 point of plain PNGs in tests/reader/test_styles_accuracy.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reader.preprocessing import preprocess
from reader.styles import render

ALLOWED_LOSS_POINTS = {"plain": 0.3}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def classify(published_model: Path):
    import tensorflow as tf

    version = max(int(p.name) for p in published_model.iterdir() if p.name.isdigit())
    serving_fn = tf.saved_model.load(str(published_model / str(version))).signatures[
        "serving_default"
    ]

    def run(images: np.ndarray) -> np.ndarray:
        batch = tf.constant(images[..., np.newaxis].astype(np.float32))
        return serving_fn(images=batch)["probabilities"].numpy().argmax(axis=1)

    return run


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    from training.data import load_mnist

    validation = load_mnist("subset").validation
    return validation.images, validation.labels  # 500 digits


@pytest.fixture(scope="module")
def raw_correct(classify, digits) -> int:
    images, labels = digits
    return int((classify(images / 255.0) == labels).sum())


@pytest.mark.parametrize("style", ALLOWED_LOSS_POINTS)
def test_style_accuracy_close_to_raw_arrays(classify, digits, raw_correct, style: str) -> None:
    images, labels = digits
    rng = np.random.default_rng(0)
    inputs = np.stack([preprocess(render(image, style, rng)) for image in images])
    correct = int((classify(inputs) == labels).sum())
    # Compare in digits, not floats: "at most 1 point" on 500 digits is at most 5 digits.
    allowed_digits = ALLOWED_LOSS_POINTS[style] * len(labels) / 100
    lost_digits = raw_correct - correct
    assert lost_digits <= allowed_digits, (
        f"{style}: {correct}/{len(labels)} vs raw {raw_correct}/{len(labels)} "
        f"(lost {100 * lost_digits / len(labels):.2f} points)"
    )
