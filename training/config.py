"""What a training run is asked to do, without TensorFlow: the CLI parses `--help` and
checks its arguments before the slow `import tensorflow`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contract.run_dir import MODEL_FILE, RUN_FILE

MODEL_KINDS = ("linear", "mlp", "cnn")


@dataclass(frozen=True)
class Hyperparameters:
    epochs: int
    batch_size: int
    learning_rate: float  # peak of the cosine schedule


# Tuned on the 4,500-image subset (see benchmarks/training.py); on the full 55k training
# set the same number of epochs sees twelve times more images.
DEFAULTS = {
    "linear": Hyperparameters(epochs=30, batch_size=64, learning_rate=0.003),
    "mlp": Hyperparameters(epochs=40, batch_size=64, learning_rate=0.001),
    "cnn": Hyperparameters(epochs=30, batch_size=64, learning_rate=0.003),
}
# Training-time augmentation (training/augment.py) unless --no-augment: on for the CNN
# (see benchmarks/training.py), off for the linear and dense models, too small to gain.
AUGMENT_DEFAULT = {"linear": False, "mlp": False, "cnn": True}
# Marks that are no digit drawn for the extra class (training/non_digits.py); about half are
# kept, so with the 4,500 subset digits about half the examples are no digit.
NON_DIGITS_DEFAULT = 9_000
# Damaged copies of the training digits (training/corrupt.py), read as uploads once before
# training: one per training digit of the subset. Each augmented epoch holds a new random
# CORRUPTED_PER_EPOCH of them (and of the 28×28-page non-digits shown as read beside them):
# a third of the digits an epoch shows are damaged, and with the subset an epoch grows from
# 147 to 180 batches of 64 (its time with it).
CORRUPTED_DEFAULT = 4_500
CORRUPTED_PER_EPOCH = 0.5


@dataclass(frozen=True)
class TrainConfig:
    model: str
    run_dir: Path
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int = 0
    dataset: str = "auto"
    data_dir: str | None = None
    augment: bool = False
    non_digits: int = NON_DIGITS_DEFAULT
    corrupted: int = CORRUPTED_DEFAULT


def is_finished(run_dir: Path) -> bool:
    return (run_dir / RUN_FILE).is_file() and (run_dir / MODEL_FILE).is_file()
