"""The three models of the workshop practicals, as Keras Sequential models.

Each takes [N, 28, 28, 1] float32 in 0..1 (white digit on black) and ends in a softmax over
the 10 digits and one more class, NO_DIGIT: a mark that is no digit (training/non_digits.py).
The export turns that into the contract's outputs: the digits' probabilities and how much the
input looks like a digit at all (export/signatures.py). The layers are named so that a
summary and TensorBoard's graph read well.
"""

from __future__ import annotations

import keras
from keras import layers

from contract.model import IMAGE_SHAPE, INPUT_NAME, NUM_CLASSES
from training.config import MODEL_KINDS

INPUT_SHAPE = IMAGE_SHAPE[1:]
NO_DIGIT = NUM_CLASSES  # the label of the extra class
OUTPUTS = NUM_CLASSES + 1

# mlp: two hidden ReLU layers with dropout.
MLP_UNITS = (256, 128)
MLP_DROPOUT = 0.3

# cnn: two conv blocks, a dense head. Augmentation is in the input pipeline
# (training/augment.py), not in the model, so nothing of it reaches the SavedModel.
CONV_FILTERS = (32, 64)
CONV_KERNEL = 3
DENSE_UNITS = 256
CNN_DROPOUT = 0.3


def build_linear() -> keras.Sequential:
    """softmax(X·W + b), X the flattened image: multinomial logistic regression."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name=INPUT_NAME),
            layers.Flatten(name="flatten"),
            layers.Dense(OUTPUTS, activation="softmax", name="softmax"),
        ],
        name="linear",
    )


def build_mlp() -> keras.Sequential:
    """Dense ReLU layers with dropout, then a softmax."""
    model = keras.Sequential(
        [keras.Input(INPUT_SHAPE, name=INPUT_NAME), layers.Flatten(name="flatten")], name="mlp"
    )
    for index, units in enumerate(MLP_UNITS, start=1):
        model.add(layers.Dense(units, activation="relu", name=f"hidden_{index}"))
        model.add(layers.Dropout(MLP_DROPOUT, name=f"dropout_{index}"))
    model.add(layers.Dense(OUTPUTS, activation="softmax", name="softmax"))
    return model


def conv_block(filters: int, index: int) -> list[layers.Layer]:
    """A ReLU convolution, then 2x2 max pooling halves the feature map."""
    return [
        layers.Conv2D(filters, CONV_KERNEL, activation="relu", name=f"conv_{index}"),
        layers.MaxPooling2D(name=f"pool_{index}"),
    ]


def build_cnn() -> keras.Sequential:
    """Conv2D + MaxPooling2D blocks, dropout, a dense layer, softmax."""
    model = keras.Sequential([keras.Input(INPUT_SHAPE, name=INPUT_NAME)], name="cnn")
    for index, filters in enumerate(CONV_FILTERS, start=1):
        for layer in conv_block(filters, index):
            model.add(layer)
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dropout(CNN_DROPOUT, name="dropout_1"))
    model.add(layers.Dense(DENSE_UNITS, activation="relu", name="dense"))
    model.add(layers.Dropout(CNN_DROPOUT, name="dropout_2"))
    model.add(layers.Dense(OUTPUTS, activation="softmax", name="softmax"))
    return model


BUILDERS = {"linear": build_linear, "mlp": build_mlp, "cnn": build_cnn}


def build_model(kind: str) -> keras.Sequential:
    """A fresh, uncompiled model of the given kind."""
    if kind not in BUILDERS:
        raise ValueError(f"unknown model {kind!r}: choose one of {', '.join(MODEL_KINDS)}")
    return BUILDERS[kind]()
