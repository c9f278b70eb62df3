"""The MNIST-C benchmark on a tiny directory in MNIST-C's layout that the test makes itself:
bundled validation digits as `identity`, and corruptions of the test's own (MNIST-C's data
is never needed here)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.mnist_c import tally
from contract.digits import load_bundled
from reader.judge import DIGIT, NOT_A_DIGIT, NUMBER, UNCERTAIN, Answer, DigitAnswer
from tests.fixtures.cli import assert_one_line_error, run_cli

DIGITS = 12
BENCHMARK_TIMEOUT = 600  # TensorFlow's import and the model's load on a shared machine


def write_corruption(root: Path, name: str, images: np.ndarray, labels: np.ndarray) -> None:
    """One corruption as MNIST-C publishes it: uint8 [n, 28, 28, 1] and its labels."""
    (root / name).mkdir(parents=True)
    np.save(root / name / "test_images.npy", images.astype(np.uint8)[..., np.newaxis])
    np.save(root / name / "test_labels.npy", labels.astype(np.uint8))


@pytest.fixture(scope="module")
def tiny_mnist_c(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundled = load_bundled()
    images, labels = bundled.images[:DIGITS], bundled.labels[:DIGITS]
    root = tmp_path_factory.mktemp("mnist_c")
    write_corruption(root, "identity", images, labels)
    # The same files, each labelled as another digit: no answer can be right for both.
    write_corruption(root, "relabelled", images, (labels + 1) % 10)
    # A corruption of our own: the digits turned upside down.
    write_corruption(root, "upside_down", images[:, ::-1, ::-1], labels)
    return root


def digit_answer(status: str, digit: int) -> DigitAnswer:
    return DigitAnswer(
        status, digit, 0.6, ((digit, 0.6), ((digit + 1) % 10, 0.3)), (0, 0, 1, 1), ()
    )


def answer(status: str, *digits: int) -> Answer:
    each = DIGIT if status == NUMBER else status
    return Answer(status, tuple(digit_answer(each, d) for d in digits))


def test_right_is_the_digit_shown_first_and_the_counts_add_up() -> None:
    answers = [
        answer(DIGIT, 3),  # right
        answer(UNCERTAIN, 5),  # right: 5 is shown first
        answer(UNCERTAIN, 4),  # wrong: the label 5 is only the runner-up
        answer(DIGIT, 1),  # wrong
        answer(NUMBER, 7, 1),  # one digit was uploaded: never right
        answer(NOT_A_DIGIT, 2),  # its most likely digit is the label, but it is refused
        None,  # refused (a 422)
    ]
    labels = np.array([3, 5, 5, 7, 7, 2, 0])
    counts = tally(answers, labels)
    assert counts == {
        "right": 2,
        DIGIT: 2,
        UNCERTAIN: 2,
        NOT_A_DIGIT: 1,
        NUMBER: 1,
        "refused": 1,
    }


def test_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none"
    run = run_cli("benchmarks.mnist_c", "--data-dir", str(missing), "--model-dir", str(tmp_path))
    assert_one_line_error(run, 1, f"no MNIST-C directory at --data-dir {missing}")
    assert not run.imported_tensorflow


def test_a_missing_corruption_is_one_line_before_the_model(
    tiny_mnist_c: Path, tmp_path: Path
) -> None:
    run = run_cli(
        *("benchmarks.mnist_c", "--data-dir", str(tiny_mnist_c), "--model-dir", str(tmp_path)),
        *("--corruptions", "upside_down,fog"),
    )
    assert_one_line_error(run, 1, f"no {tiny_mnist_c / 'fog' / 'test_images.npy'}")
    assert not run.imported_tensorflow


def test_images_not_in_mnist_c_layout_are_refused(tmp_path: Path) -> None:
    (tmp_path / "identity").mkdir()
    np.save(tmp_path / "identity" / "test_images.npy", np.zeros((3, 32, 32), np.float32))
    np.save(tmp_path / "identity" / "test_labels.npy", np.zeros(3, np.uint8))
    run = run_cli("benchmarks.mnist_c", "--data-dir", str(tmp_path), "--model-dir", str(tmp_path))
    assert_one_line_error(run, 1, "not uint8 [n, 28, 28, 1]")


def test_each_digit_is_judged_as_an_upload(
    tiny_mnist_c: Path, published_model: Path, tmp_path: Path
) -> None:
    output = tmp_path / "mnist_c"
    run = run_cli(
        *("benchmarks.mnist_c", "--data-dir", str(tiny_mnist_c)),
        *("--model-dir", str(published_model / "1"), "--output", str(output), "--jobs", "1"),
        *("--corruptions", "relabelled,upside_down", "--limit", str(DIGITS - 2)),
        timeout=BENCHMARK_TIMEOUT,
    )
    assert run.code in (0, 1), run  # 1: the goals missed, as expected of 10 digits
    document = json.loads(output.with_suffix(".json").read_text())
    clean, rows = document["clean"], document["corruptions"]
    assert list(rows) == ["relabelled", "upside_down"]
    for row in (clean, *rows.values()):
        counts = row["counts"]
        assert row["digits"] == DIGITS - 2  # --limit
        assert sum(counts[s] for s in (DIGIT, UNCERTAIN, NOT_A_DIGIT, NUMBER, "refused")) == 10
        assert counts["right"] <= counts[DIGIT] + counts[UNCERTAIN]
        assert row["error"] == pytest.approx(1 - counts["right"] / 10)
    # Bundled validation digits as plain PNGs: a model that has learnt digits reads most.
    assert clean["right"] >= 0.7 and clean["raw_error"] <= 0.3
    # The same files judged the same; a right answer is the label's digit, so the relabelled
    # set can be right only where the clean one is wrong.
    relabelled = rows["relabelled"]
    assert {k: v for k, v in relabelled["counts"].items() if k != "right"} == {
        k: v for k, v in clean["counts"].items() if k != "right"
    }
    assert relabelled["counts"]["right"] <= 10 - clean["counts"]["right"]
    assert relabelled["model_error"] >= 1 - clean["model_error"]
    mean = document["mean"]
    assert mean["error"] == pytest.approx((relabelled["error"] + rows["upside_down"]["error"]) / 2)
    assert len(document["goals"]) == 3
    assert "over 2 corruption(s)" in document["goals"][0]["measured"]
