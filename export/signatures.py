"""The SavedModel signatures of the serving contract (DESIGN.md).

serving_default: images float32 [-1, 28, 28, 1] -> probabilities float32 [-1, 10],
                                                   classes int64 [-1]
predict_images:  images float32 [-1, 784]       -> scores float32 [-1, 10]
"""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from contract.model import (
    CLASSES,
    FLAT_IMAGE_SHAPE,
    IMAGE_SHAPE,
    INPUT_NAME,
    NUM_CLASSES,
    PREDICT_IMAGES,
    PROBABILITIES,
    SCORES,
    SERVING_DEFAULT,
)


def write_saved_model(model: keras.Model, directory: Path) -> None:
    """Write `model` as a SavedModel with the two contract signatures into `directory`.

    ExportArchive (rather than a bare tf.Module) also tracks the seed variables of the
    dropout layers, which tf.saved_model.save would otherwise refuse. (Augmentation is in the
    training input pipeline, training/augment.py, never in the model.)
    """
    archive = keras.export.ExportArchive()
    archive.track(model)

    def serving_default(images: tf.Tensor) -> dict[str, tf.Tensor]:
        # training=False: in Keras 3 a call without it would run the dropout layers.
        probabilities = model(images, training=False)
        classes = tf.argmax(probabilities, axis=1, output_type=tf.int64)
        return {PROBABILITIES: probabilities, CLASSES: classes}

    def predict_images(images: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = tf.reshape(images, IMAGE_SHAPE)
        return {SCORES: model(batch, training=False)}

    archive.add_endpoint(
        SERVING_DEFAULT,
        serving_default,
        input_signature=[tf.TensorSpec((None, *IMAGE_SHAPE[1:]), tf.float32, name=INPUT_NAME)],
    )
    archive.add_endpoint(
        PREDICT_IMAGES,
        predict_images,
        input_signature=[tf.TensorSpec((None, *FLAT_IMAGE_SHAPE[1:]), tf.float32, name=INPUT_NAME)],
    )
    archive.write_out(str(directory), verbose=False)


def predict_probabilities(
    saved_model: object, images: np.ndarray, batch_size: int = 256
) -> np.ndarray:
    """Probabilities [N, 10] from the serving_default signature of a loaded SavedModel."""
    signature = saved_model.signatures[SERVING_DEFAULT]  # type: ignore[attr-defined]
    parts = [
        signature(**{INPUT_NAME: tf.constant(images[start : start + batch_size])})[
            PROBABILITIES
        ].numpy()
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, NUM_CLASSES), np.float32)
