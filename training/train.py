"""Train one model and write its run directory.

runs/NAME/
  model.keras             the trained Keras model (no augmentation layers: augmentation is in
                          the input pipeline, training/augment.py; damaged digits, read
                          as uploads before fit, training/corrupt.py, are mixed into it)
  logs/                   TensorBoard: train/ and validation/ (loss, accuracy, learning rate
                          per epoch), graph/ (the inference graph), evaluation/ (confusion
                          matrix and misclassified digits as images)
  evaluation.json         accuracy, per-class precision/recall, confusion matrix, and on what
  confusion_matrix.png
  run.json                model, data, parameters, versions and times; written last, so its
                          presence marks a finished run
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from contract.model import IMAGE_SHAPE
from contract.project import project_version
from contract.run_dir import (
    CONFUSION_MATRIX_FILE,
    EVALUATION_FILE,
    LOGS_DIR,
    MODEL_FILE,
    RUN_FILE,
)
from training import report, summaries
from training.augment import augment
from training.config import CORRUPTED_PER_EPOCH, TrainConfig, is_finished
from training.corrupt import corrupted_fields
from training.data import MnistData, Split, load_mnist, resolve_data_dir, to_model_input
from training.models import NO_DIGIT, build_model
from training.non_digits import non_digit_sets

log = logging.getLogger(__name__)

PREDICT_BATCH_SIZE = 500
AUGMENT_STREAM = 1  # the augmentation's own random stream of a seed (weights use keras's)


def seed_everything(seed: int) -> None:
    """Same seed, same weights: seed Python, NumPy and TF, and make TF ops deterministic."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def compile_model(model: keras.Model, config: TrainConfig, train_size: int) -> None:
    """Adam with a cosine-decayed learning rate, from its peak down to 0 over the run."""
    steps = config.epochs * -(-train_size // config.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def fit(
    model: keras.Model, data: MnistData, config: TrainConfig, pool: Split | None = None
) -> keras.callbacks.History:
    """Fit on data.train (augmented afresh each epoch when config.augment) and, each epoch,
    a share of the pool of damaged digits as the reader gave them (not augmented again)."""
    log_dir = config.run_dir / LOGS_DIR
    tensorboard = keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False)
    common: dict[str, Any] = {
        "epochs": config.epochs,
        "validation_data": (to_model_input(data.validation.images), data.validation.labels),
        "callbacks": [tensorboard],
        "verbose": 1 if sys.stdout.isatty() else 2,  # a progress bar, or one line per epoch
    }
    if config.augment:
        per_epoch = pool_per_epoch(pool)
        batches = augmented_batches(
            data.train, config.batch_size, config.epochs, config.seed, pool, per_epoch
        )
        steps = -(-(len(data.train) + per_epoch) // config.batch_size)
        # shuffle=False: the batches come shuffled, by their own seeded generator.
        return model.fit(batches, steps_per_epoch=steps, shuffle=False, **common)
    train = data.train if pool is None else _joined(data.train, pool)
    images = to_model_input(train.images)
    return model.fit(images, train.labels, batch_size=config.batch_size, **common)


def pool_per_epoch(pool: Split | None) -> int:
    """How many of the pool's damaged digits each augmented epoch holds."""
    return 0 if pool is None else round(CORRUPTED_PER_EPOCH * len(pool))


def augmented_epochs(
    train: Split,
    batch_size: int,
    epochs: int,
    seed: int,
    pool: Split | None = None,
    per_epoch: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(images [b, 28, 28, 1], labels [b]) for every batch of every epoch, in order: each
    epoch shuffled and augmented afresh, all of it from one generator seeded by `seed`.
    With a pool, each epoch also holds `per_epoch` of its fields (a new random draw each
    epoch), shuffled in among the others and left as the reader gave them."""
    rng = np.random.default_rng([seed, AUGMENT_STREAM])
    images = train.images.astype(np.float32) / 255.0
    labels = train.labels
    if pool is not None and per_epoch:
        images = np.concatenate([images, pool.images.astype(np.float32) / 255.0])
        labels = np.concatenate([labels, pool.labels])
    for _ in range(epochs):
        order = rng.permutation(len(train))
        if pool is not None and per_epoch:
            drawn = len(train) + rng.choice(len(pool), per_epoch, replace=False)
            order = rng.permutation(np.concatenate([order, drawn]))
        for start in range(0, len(order), batch_size):
            picked = order[start : start + batch_size]
            batch = images[picked]
            fresh = picked < len(train)  # the pool's fields are not augmented again
            if fresh.any():
                batch[fresh] = augment(batch[fresh], rng)
            yield batch[..., np.newaxis], labels[picked]


def augmented_batches(
    train: Split,
    batch_size: int,
    epochs: int,
    seed: int,
    pool: Split | None = None,
    per_epoch: int = 0,
) -> tf.data.Dataset:
    """The augmented epochs as one tf.data stream, the next batch made while one trains.
    fit's steps_per_epoch keeps reading it across epochs, so the order is the generator's."""
    signature = (
        tf.TensorSpec((None, *IMAGE_SHAPE[1:]), tf.float32),
        tf.TensorSpec((None,), tf.int64),
    )
    return tf.data.Dataset.from_generator(
        lambda: augmented_epochs(train, batch_size, epochs, seed, pool, per_epoch),
        output_signature=signature,
    ).prefetch(2)


def with_non_digits(train: Split, count: int, seed: int) -> tuple[Split, Split]:
    """The training digits and, labelled NO_DIGIT, the drawn marks that are no digit (both
    augmented each epoch); and, apart, the marks of 28×28 pages (noise, lines, textures,
    damaged marks) labelled NO_DIGIT, shown as the reader read them, as the damaged digits."""
    drawn, as_read = non_digit_sets(count, train.images, train.labels, seed)
    return _joined(train, _no_digit(drawn)), _no_digit(as_read)


def _no_digit(marks: np.ndarray) -> Split:
    return Split(marks, np.full(len(marks), NO_DIGIT, dtype=np.int64))


def corrupted_pool(train: Split, count: int, seed: int, marks: Split) -> Split | None:
    """Damaged copies of the training digits as the reader reads them (training/corrupt.py),
    labelled with their digit, and the `marks` that are no digit shown as read; None when
    there are neither."""
    images, labels, _ = corrupted_fields(train.images, train.labels, count, seed)
    pool = _joined(Split(images, labels), marks)
    return pool if len(pool) else None


def _joined(first: Split, second: Split) -> Split:
    return Split(
        np.concatenate([first.images, second.images]), np.concatenate([first.labels, second.labels])
    )


def evaluate(model: keras.Model, split: Split, name: str, description: str) -> report.Evaluation:
    outputs = model.predict(to_model_input(split.images), batch_size=PREDICT_BATCH_SIZE, verbose=0)
    # The most likely digit, as the served classes: the extra "no digit" class is the
    # export's digit_score, not an answer among the digits.
    predictions = np.argmax(outputs[:, :NO_DIGIT], axis=1).astype(np.int64)
    return report.Evaluation(split.labels, predictions, name, description)


def evaluation_split(data: MnistData) -> tuple[Split, str]:
    """The official test set when the source has one, else the held-out validation split."""
    return (data.test, "test") if data.test is not None else (data.validation, "validation")


def write_reports(
    run_dir: Path, evaluation: report.Evaluation, images: np.ndarray, step: int
) -> None:
    _write_json(run_dir / EVALUATION_FILE, evaluation.to_json())
    confusion_png = report.figure_png(report.confusion_figure(evaluation))
    (run_dir / CONFUSION_MATRIX_FILE).write_bytes(confusion_png)
    misclassified_png = report.figure_png(report.misclassified_figure(evaluation, images))
    summaries.write_images(
        run_dir / LOGS_DIR,
        {"confusion_matrix": confusion_png, "misclassified_digits": misclassified_png},
        step=step,
    )


def run_document(
    config: TrainConfig,
    data: MnistData,
    non_digits: int,
    corrupted: int,
    started: datetime,
    train_seconds: float,
) -> dict[str, Any]:
    """The run.json document of the run-directory contract (plus timing and versions)."""
    return {
        "model": config.model,
        "dataset": {
            "requested": config.dataset,
            "source": data.source,
            "data_dir": str(config.data_dir) if data.source == "dir" else None,
            "description": data.description,
            "train_size": len(data.train),
            "non_digits": non_digits,
            "corrupted": corrupted,
            "validation_size": len(data.validation),
        },
        "params": {
            "epochs": config.epochs,
            "batch_size": config.batch_size,
            "seed": config.seed,
            "learning_rate": config.learning_rate,
            "learning_rate_schedule": "cosine decay to 0",
            "optimizer": "adam",
            "augment": config.augment,
            "non_digits_drawn": config.non_digits,
            "corrupted_drawn": config.corrupted,
            "corrupted_per_epoch": CORRUPTED_PER_EPOCH if config.augment else 1.0,
        },
        "project_version": project_version(),
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "train_seconds": round(train_seconds, 2),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": _now().isoformat(timespec="seconds"),
    }


def train(config: TrainConfig) -> dict[str, Any]:
    """Train config.model and write config.run_dir; returns the run.json document."""
    started = _now()
    # Record the directory actually read, even when it came from MNIST_DATA_DIR.
    config = replace(config, data_dir=resolve_data_dir(config.data_dir))
    data = load_mnist(config.dataset, config.data_dir, config.seed)
    log.info("data: %s", data.description)
    prepare_run_dir(config.run_dir)
    seed_everything(config.seed)

    train, marks_as_read = with_non_digits(data.train, config.non_digits, config.seed)
    non_digits = len(train) - len(data.train) + len(marks_as_read)
    log.info("non-digits: %d kept of %d drawn", non_digits, config.non_digits)
    clock = time.perf_counter()
    pool = corrupted_pool(data.train, config.corrupted, config.seed, marks_as_read)
    corrupted = 0 if pool is None else len(pool) - len(marks_as_read)
    log.info("damaged digits: %d read in %.0f s", corrupted, time.perf_counter() - clock)
    per_epoch = pool_per_epoch(pool) if config.augment else (0 if pool is None else len(pool))
    model = build_model(config.model)
    compile_model(model, config, len(train) + per_epoch)
    summaries.write_graph(model, config.run_dir / LOGS_DIR)
    clock = time.perf_counter()
    fit(model, replace(data, train=train), config, pool)
    train_seconds = time.perf_counter() - clock
    model.save(config.run_dir / MODEL_FILE)

    split, name = evaluation_split(data)
    evaluation = evaluate(model, split, name, data.description)
    write_reports(config.run_dir, evaluation, split.images, step=config.epochs)
    log.info("%s accuracy: %.2f%% on %d images", name, 100 * evaluation.accuracy, len(split))

    document = run_document(config, data, non_digits, corrupted, started, train_seconds)
    _write_json(config.run_dir / RUN_FILE, document)
    return document


def prepare_run_dir(run_dir: Path) -> None:
    """Create the run directory; clear what an unfinished earlier run may have left."""
    if is_finished(run_dir):
        raise FileExistsError(f"{run_dir} already holds a finished run ({RUN_FILE})")
    shutil.rmtree(run_dir / LOGS_DIR, ignore_errors=True)  # else TensorBoard mixes two runs
    (run_dir / RUN_FILE).unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n")


def _now() -> datetime:
    return datetime.now(UTC)
