"""The SavedModel signatures of the serving contract (DESIGN.md).

serving_default: images float32 [-1, 28, 28, 1] -> probabilities float32 [-1, 10],
                                                   classes int64 [-1],
                                                   digit_score float32 [-1],
                                                   min_digit_score float32 [-1],
                                                   min_margin float32 [-1]
predict_images:  images float32 [-1, 784]       -> scores float32 [-1, 10]

The trained model's softmax has one more class than the digits, "no digit"
(training/models.py). The digits' share of it is digit_score, how much the input looks like
a digit at all; probabilities and scores are the digits' probabilities given that it is one
(they sum to 1, as before). A model trained without the extra class exports digit_score 1.
min_digit_score and min_margin are the version's calibration (export/calibration.py), the
same two constants on every row, so that every answer carries what it is judged by.
"""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from contract.model import (
    CALIBRATION_MIN_DIGIT_SCORE,
    CALIBRATION_MIN_MARGIN,
    CLASSES,
    DIGIT_SCORE,
    FLAT_IMAGE_SHAPE,
    IMAGE_SHAPE,
    INPUT_NAME,
    NUM_CLASSES,
    PREDICT_IMAGES,
    PROBABILITIES,
    SCORES,
    SERVING_DEFAULT,
)
from reader.judge import Calibration


def write_saved_model(
    model: keras.Model, directory: Path, calibration: Calibration | None = None
) -> None:
    """Write `model` as a SavedModel with the two contract signatures into `directory`;
    serving_default carries `calibration` (None: without it, only to measure the outputs it
    is chosen from).

    ExportArchive (rather than a bare tf.Module) also tracks the seed variables of the
    dropout layers, which tf.saved_model.save would otherwise refuse. (Augmentation is in the
    training input pipeline, training/augment.py, never in the model.)
    """
    archive = keras.export.ExportArchive()
    archive.track(model)

    def digits(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(the digits' probabilities given a digit [n, 10], digit_score [n])."""
        # training=False: in Keras 3 a call without it would run the dropout layers.
        outputs = model(images, training=False)[:, :NUM_CLASSES]
        score = tf.reduce_sum(outputs, axis=1)
        return outputs / tf.maximum(score, 1e-12)[:, tf.newaxis], score

    def serving_default(images: tf.Tensor) -> dict[str, tf.Tensor]:
        probabilities, score = digits(images)
        classes = tf.argmax(probabilities, axis=1, output_type=tf.int64)
        outputs = {PROBABILITIES: probabilities, CLASSES: classes, DIGIT_SCORE: score}
        if calibration is not None:
            rows = tf.ones_like(score)
            outputs[CALIBRATION_MIN_DIGIT_SCORE] = rows * calibration.min_digit_score
            outputs[CALIBRATION_MIN_MARGIN] = rows * calibration.min_margin
        return outputs

    def predict_images(images: tf.Tensor) -> dict[str, tf.Tensor]:
        return {SCORES: digits(tf.reshape(images, IMAGE_SHAPE))[0]}

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
