"""The marks that are no digit (training/non_digits.py): read by the contract as uploads are,
never close to a training digit, the same for a seed."""

from __future__ import annotations

import numpy as np
import pytest

from contract.digits import Split
from training.data import load_subset
from training.non_digits import FAMILIES, _unit_rows, field, make_non_digits, near_digit_threshold
from training.train import with_non_digits

DRAWN = 300


@pytest.fixture(scope="module")
def train_digits() -> tuple[np.ndarray, np.ndarray]:
    split = load_subset(0).train
    return split.images, split.labels


@pytest.fixture(scope="module")
def marks(train_digits: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return make_non_digits(DRAWN, *train_digits, seed=3)


def test_marks_are_inked_mnist_fields(marks: np.ndarray) -> None:
    assert marks.dtype == np.uint8 and marks.shape[1:] == (28, 28)
    assert 0.3 * DRAWN < len(marks) <= DRAWN  # about half the marks drawn are kept
    assert (marks.max(axis=(1, 2)) > 128).all()  # every one has ink
    assert np.median(marks.mean(axis=(1, 2))) < 80  # white ink on black, as MNIST


def test_no_mark_is_as_close_to_a_digit_as_digits_are_to_each_other(
    marks: np.ndarray, train_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    digits = train_digits[0]
    threshold = near_digit_threshold(digits, np.random.default_rng(0))
    nearest = (_unit_rows(marks) @ _unit_rows(digits).T).max(axis=1)
    assert nearest.max() < threshold + 0.02  # the quantile is of a sample: a little slack
    assert 0.5 < threshold < 0.95


def test_the_same_seed_draws_the_same_marks(
    marks: np.ndarray, train_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    assert np.array_equal(make_non_digits(DRAWN, *train_digits, seed=3), marks)
    assert not np.array_equal(make_non_digits(DRAWN, *train_digits, seed=4)[:10], marks[:10])


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_reads_as_one_mark(
    family: str, train_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    rng = np.random.default_rng(1)
    pool = train_digits[0][[0, 1]] if family == "overlay" else train_digits[0]
    found = [f for _ in range(30) if (f := field(family, rng, pool)) is not None]
    assert len(found) >= 3, f"{family}: {len(found)} of 30 pages read as one mark"


def test_training_labels_the_marks_no_digit(train_digits: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = train_digits
    both, as_read = with_non_digits(Split(images, labels), 300, seed=0)
    extra = both.labels[len(labels) :]
    assert len(extra) > 0 and (extra == 10).all()
    assert np.array_equal(both.labels[: len(labels)], labels)
    assert len(as_read) > 0 and (as_read.labels == 10).all()  # the 28×28 pages' marks
    assert len(as_read) < len(extra)
