"""The other-writers benchmark: its uploads, its tally, and a whole run with a tiny SavedModel
(scikit-learn's digits ship with scikit-learn; the figures need the demo model)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.other_writers import tally, upload, variants
from reader.judge import DIGIT, NOT_A_DIGIT, NUMBER, UNCERTAIN, Answer, DigitAnswer
from tests.benchmarks.tiny_model import write_tiny_model
from tests.fixtures.cli import assert_one_line_error, run_cli

BAR = np.zeros((8, 8))
BAR[1:7, 3:5] = 16  # a one, at the dataset's 17 levels
BAR[1, 2] = 8


@pytest.mark.parametrize(("size", "resampling", "polarity"), variants())
def test_an_upload_is_the_digit_at_its_size_and_polarity(
    size: int, resampling: str, polarity: str
) -> None:
    image = np.asarray(Image.open(io.BytesIO(upload(BAR, size, resampling, polarity))))
    assert image.shape == (size, size)
    ink = image[size // 2, size // 2]  # inside the bar
    paper = image[size // 2, 2]
    assert (ink < paper) if polarity == "dark_on_white" else (ink > paper)
    if resampling == "nearest":  # blocks of size/8, the 17 levels kept
        block = size // 8
        assert image[block * 1 + 1, block * 2 + 1] in (127, 128)


def answer(status: str, digit: int) -> Answer:
    return Answer(
        status, (DigitAnswer(status, digit, 0.9, ((digit, 0.9), (0, 0.1)), (0, 0, 1, 1), ()),)
    )


def test_the_tally_gives_each_answer_one_share() -> None:
    labels = np.array([1, 1, 2, 3, 4, 5])
    answers = [
        answer(DIGIT, 1),
        answer(DIGIT, 7),  # wrong
        answer(UNCERTAIN, 2),
        answer(NUMBER, 3),
        answer(NOT_A_DIGIT, 4),
        None,  # refused
    ]
    row = tally(answers, labels)
    assert row["right"] == row["wrong_digit"] == row["uncertain"] == pytest.approx(1 / 6)
    assert row["uncertain_top_right"] == pytest.approx(1 / 6)
    assert row["number"] == row["not_a_digit"] == row["refused"] == pytest.approx(1 / 6)
    shares = ("right", "wrong_digit", "uncertain", "number", "not_a_digit", "refused")
    assert sum(row[k] for k in shares) == pytest.approx(1.0)


def test_a_missing_model_is_one_line(tmp_path: Path) -> None:
    run = run_cli("benchmarks.other_writers", "--model-dir", str(tmp_path))
    assert_one_line_error(run, 1, f"no SavedModel in --model-dir {tmp_path}")
    assert not run.imported_tensorflow


def test_a_whole_run_tallies_every_variant(tmp_path: Path) -> None:
    model = write_tiny_model(tmp_path / "model" / "1", digit=0)
    out = tmp_path / "other"
    run = run_cli(
        "benchmarks.other_writers",
        *("--model-dir", str(model), "--limit", "20", "--output", str(out)),
        timeout=300,
    )
    assert run.code == 1  # a model that reads every digit as 0 misses the goal
    document = json.loads(out.with_suffix(".json").read_text())
    assert len(document["variants"]) == len(variants()) and document["digits"] == 20
    for row in document["variants"].values():
        shares = ("right", "wrong_digit", "uncertain", "number", "not_a_digit", "refused")
        assert sum(row[k] for k in shares) == pytest.approx(1.0)
        assert row["right"] <= 0.1 + 1e-9  # only the zeros among the first 20 can be right
