"""What TensorBoard shows beyond Keras' own callback: the model graph and the final figures.

Keras 3's TensorBoard callback logs the per-epoch loss, accuracy and learning rate, but not
the model graph; the graph here is the inference function traced once, as TF Serving runs it.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from contract.model import IMAGE_SHAPE, INPUT_NAME

GRAPH_DIR = "graph"
EVALUATION_DIR = "evaluation"


def write_graph(model: keras.Model, log_dir: Path) -> None:
    """Trace model(images, training=False) and write its graph for TensorBoard's Graphs tab."""
    spec = tf.TensorSpec([None, *IMAGE_SHAPE[1:]], tf.float32, name=INPUT_NAME)
    forward = tf.function(lambda images: model(images, training=False))
    graph = forward.get_concrete_function(spec).graph
    writer = tf.summary.create_file_writer(str(log_dir / GRAPH_DIR))
    with writer.as_default():
        tf.summary.graph(graph)
    writer.close()


def write_images(log_dir: Path, pngs: dict[str, bytes], step: int) -> None:
    """Write PNG images (name -> bytes) as image summaries under logs/evaluation."""
    writer = tf.summary.create_file_writer(str(log_dir / EVALUATION_DIR))
    with writer.as_default():
        for name, png in pngs.items():
            image = tf.expand_dims(tf.image.decode_png(png, channels=4), 0)
            tf.summary.image(name, image, step=step)
    writer.close()
