"""TF Serving warmup records: assets.extra/tf_serving_warmup_requests.

TF Serving replays these PredictRequests when it loads a version (--enable_model_warmup), so
the first real request does not pay for graph initialisation. Both signatures are warmed up,
with real digits and at more than one batch size.
"""

from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

from contract.model import (
    FLAT_IMAGE_SHAPE,
    INPUT_NAME,
    MODEL_NAME,
    PREDICT_IMAGES,
    SERVING_DEFAULT,
)

WARMUP_BATCH_SIZES = (1, 8)


def _predict_log(signature: str, images: np.ndarray) -> prediction_log_pb2.PredictionLog:
    request = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=MODEL_NAME, signature_name=signature)
    )
    request.inputs[INPUT_NAME].CopyFrom(tf.make_tensor_proto(images, dtype=tf.float32))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    )


def warmup_logs(images: np.ndarray) -> list[prediction_log_pb2.PredictionLog]:
    """One request per signature and batch size, from `images` (float32 [N, 28, 28, 1])."""
    logs = []
    for size in WARMUP_BATCH_SIZES:
        batch = images[:size].astype(np.float32)
        logs.append(_predict_log(SERVING_DEFAULT, batch))
        logs.append(_predict_log(PREDICT_IMAGES, batch.reshape(FLAT_IMAGE_SHAPE)))
    return logs


def write_warmup_file(path: Path, images: np.ndarray) -> None:
    if len(images) < max(WARMUP_BATCH_SIZES):
        raise ValueError(f"warmup needs at least {max(WARMUP_BATCH_SIZES)} images")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for log in warmup_logs(images):
            writer.write(log.SerializeToString())
