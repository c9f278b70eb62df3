"""The three models: input and output shapes, and augmentation only while training."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from training.models import MODEL_KINDS, build_model


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """A few random 'images' in 0..1, the models' input contract."""
    return np.random.default_rng(0).random((6, 28, 28, 1), dtype=np.float32)


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_model_maps_images_to_ten_probabilities(kind: str, digits: np.ndarray) -> None:
    model = build_model(kind)
    assert model.input_shape == (None, 28, 28, 1)
    probabilities = np.asarray(model(digits, training=False))
    assert probabilities.shape == (6, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert (probabilities >= 0).all()


def test_cnn_augments_only_while_training(digits: np.ndarray) -> None:
    keras.utils.set_random_seed(0)
    model = build_model("cnn")
    augmentation = [layer for layer in model.layers if layer.name.startswith("random_")]
    assert {layer.name for layer in augmentation} == {
        "random_rotation",
        "random_shift",
        "random_zoom",
    }
    first = np.asarray(model(digits, training=False))
    np.testing.assert_array_equal(first, np.asarray(model(digits, training=False)))
    np.testing.assert_array_equal(first, model.predict(digits, verbose=0))
    # While training, the same images come out of the augmentation changed.
    augment = keras.Sequential(augmentation)
    np.testing.assert_array_equal(np.asarray(augment(digits, training=False)), digits)
    assert not np.allclose(np.asarray(augment(digits, training=True)), digits)


def test_unknown_model_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model 'resnet': choose one of linear, mlp, cnn"):
        build_model("resnet")
