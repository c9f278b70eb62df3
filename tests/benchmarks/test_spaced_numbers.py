"""The numbers benchmark: its files, its count of digits lost silently, and a whole run on
bundled digits with a tiny SavedModel (the official figures need the test set and the demo
model: the benchmark is run by hand)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.spaced_numbers import CELL, MARGIN, Written, dropped, plan, summary, write_number
from contract.digits import load_bundled
from reader.judge import DIGIT, NUMBER, Answer, DigitAnswer
from reader.reading import LeftOut
from tests.benchmarks.tiny_model import write_tiny_model
from tests.fixtures.cli import assert_one_line_error, run_cli
from tests.fixtures.idx import write_idx


def written(count: int = 4, seed: int = 0) -> Written:
    digits = load_bundled()
    rng = np.random.default_rng(seed)
    return write_number(list(digits.images[:count]), digits.labels[:count].tolist(), rng)


def test_a_number_is_its_cells_side_by_side_on_white() -> None:
    number = written(4)
    image = np.asarray(Image.open(io.BytesIO(number.data)))
    height, width = image.shape
    scale = height // (CELL + 2 * MARGIN)
    assert height == scale * (CELL + 2 * MARGIN) and scale in (2, 3, 4)
    assert 4 * CELL * scale < width <= (2 * MARGIN + 4 * CELL + 3 * 7) * scale
    assert np.median(image) == 255  # dark ink on white paper
    assert number.text == "".join(map(str, load_bundled().labels[:4]))
    for ink in number.ink:  # each digit's ink is dark in the file, left to right
        x, y = ink.astype(int).T
        assert image[y, x].mean() < 128
    lefts = [ink[:, 0].min() for ink in number.ink]
    assert lefts == sorted(lefts)
    assert written(4).data == number.data and written(4, seed=1).data != number.data


def digit_at(box: tuple[int, int, int, int], stray: bool = False) -> DigitAnswer:
    return DigitAnswer(DIGIT, 1, 0.9, ((1, 0.9), (7, 0.1)), box, (), stray)


def test_a_digit_counts_as_dropped_only_when_no_box_of_the_answer_holds_its_ink() -> None:
    number = written(3)
    boxes = [
        (
            int(ink[:, 0].min()),
            int(ink[:, 1].min()),
            int(ink[:, 0].max()) + 1,
            int(ink[:, 1].max()) + 1,
        )
        for ink in number.ink
    ]
    everything = Answer(NUMBER, tuple(digit_at(b) for b in boxes))
    assert dropped(number, everything) == 0
    two = Answer(NUMBER, (digit_at(boxes[0]), digit_at(boxes[2])))
    assert dropped(number, two) == 1  # the middle digit: neither read nor listed
    listed = Answer(NUMBER, two.digits, left_out=(LeftOut(boxes[1], "too far"),))
    assert dropped(number, listed) == 0
    stray = Answer(NUMBER, (digit_at(boxes[0]), digit_at(boxes[1], stray=True), digit_at(boxes[2])))
    assert dropped(number, stray) == 0  # a stray mark is listed with its box
    assert dropped(number, None) == 0  # refused: the user is told


def test_a_summary_counts_exact_numbers_only() -> None:
    number = written(2)
    first, second = (int(d) for d in number.text)
    boxes = [(0, 0, 10_000, 10_000)]
    right = Answer(NUMBER, (digit_at(boxes[0]),) * 2)
    right = Answer(
        NUMBER,
        (
            DigitAnswer(DIGIT, first, 0.9, ((first, 0.9), (0, 0.1)), boxes[0], ()),
            DigitAnswer(DIGIT, second, 0.9, ((second, 0.9), (0, 0.1)), boxes[0], ()),
        ),
    )
    one = Answer(DIGIT, right.digits[:1])
    row = summary([number, number, number], [right, one, None])
    assert row["read_right"] == pytest.approx(1 / 3)
    assert row["status_number"] == pytest.approx(1 / 3)
    assert row["refused"] == 1 and row["digits"] == 6


def test_the_plan_takes_lengths_in_turn_and_is_seeded() -> None:
    labels = load_bundled().labels
    picks = plan(14, labels, seed=3)
    assert [len(p) for p in picks] == [2, 3, 4, 5, 6, 7, 8] * 2
    assert all(len(set(p.tolist())) == len(p) for p in picks)
    assert all(np.array_equal(a, b) for a, b in zip(picks, plan(14, labels, 3), strict=True))


def test_a_missing_model_is_one_line(tmp_path: Path) -> None:
    run = run_cli("benchmarks.spaced_numbers", "--model-dir", str(tmp_path))
    assert_one_line_error(run, 1, f"no SavedModel in --model-dir {tmp_path}")
    assert not run.imported_tensorflow


def test_a_whole_run_loses_no_digit_of_bundled_numbers(tmp_path: Path) -> None:
    digits = load_bundled()
    data = tmp_path / "idx"
    data.mkdir()
    write_idx(data / "t10k-images-idx3-ubyte.gz", digits.images)
    write_idx(data / "t10k-labels-idx1-ubyte.gz", digits.labels)
    model = write_tiny_model(tmp_path / "model" / "1", digit=1)
    out = tmp_path / "numbers"
    run = run_cli(
        "benchmarks.spaced_numbers",
        *("--model-dir", str(model), "--data-dir", str(data), "--count", "21"),
        *("--output", str(out), "--jobs", "1"),
        timeout=300,
    )
    assert run.code == 1, run.stderr_lines[-5:]  # a model that reads every digit as 1 misses
    document = json.loads(out.with_suffix(".json").read_text())
    assert sorted(document["lengths"]) == [str(n) for n in range(2, 9)]
    for row in document["lengths"].values():
        assert row["numbers"] == 3 and row["dropped"] == 0 and row["refused"] == 0
        assert row["status_number"] == 1.0
    assert document["goal_lengths_2_6"]["numbers"] == 15
