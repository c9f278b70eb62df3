"""A tiny SavedModel with the serving signature of contract/model.py, written in a child
process (the test process never imports TensorFlow): it answers the same digit with
probability 0.98 for every input and a digit score of 0.9, so a benchmark's arithmetic can be
checked end to end without training anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.models import QUIET_TF, REPO_ROOT

SCRIPT = """
import sys
import tensorflow as tf

digit = int(sys.argv[2])

class Tiny(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="images")])
    def serve(self, images):
        rows = tf.shape(images)[0]
        row = tf.one_hot(digit, 10, on_value=0.98, off_value=0.02 / 9)
        return {
            "probabilities": tf.tile(row[tf.newaxis], [rows, 1]),
            "classes": tf.fill([rows], tf.constant(digit, tf.int64)),
            "digit_score": tf.fill([rows], 0.9),
        }

tiny = Tiny()
tf.saved_model.save(tiny, sys.argv[1], signatures={"serving_default": tiny.serve})
"""


def write_tiny_model(version_dir: Path, digit: int) -> Path:
    """A SavedModel in version_dir that reads every input as `digit`."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(version_dir), str(digit)],
        cwd=REPO_ROOT,
        env={**os.environ, **QUIET_TF},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return version_dir
