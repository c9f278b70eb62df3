"""The three models: input and output shapes, and no augmentation inside them."""

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
def test_model_maps_images_to_the_digits_and_no_digit(kind: str, digits: np.ndarray) -> None:
    model = build_model(kind)
    assert model.input_shape == (None, 28, 28, 1)
    probabilities = np.asarray(model(digits, training=False))
    assert probabilities.shape == (6, 11)  # the 10 digits, then NO_DIGIT
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert (probabilities >= 0).all()


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_no_augmentation_in_the_model(kind: str, digits: np.ndarray) -> None:
    """Augmentation is the input pipeline's (training/augment.py): no random layer reaches
    model.keras or the SavedModel, and inference gives one answer."""
    keras.utils.set_random_seed(0)
    model = build_model(kind)
    names = [type(layer).__name__ for layer in model.layers]
    assert not [name for name in names if name.startswith("Random")], names
    first = np.asarray(model(digits, training=False))
    np.testing.assert_array_equal(first, model.predict(digits, verbose=0))


def test_unknown_model_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model 'resnet': choose one of linear, mlp, cnn"):
        build_model("resnet")
