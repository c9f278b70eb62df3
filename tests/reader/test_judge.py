"""The judge: statuses from the model's probabilities and the ink's shape, without a model
(probabilities are written here), and on real images for the shape side."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reader import judge as rules
from reader.judge import (
    DEFAULT_CALIBRATION,
    DIGIT,
    NOT_A_DIGIT,
    NUMBER,
    UNCERTAIN,
    Calibration,
    judge,
    judge_all,
)
from reader.preprocessing import NoInk
from reader.reading import LeftOut, ReadDigit, Reading, Shape, read
from tests.fixtures.images import encode
from tests.reader import pages

# The median styled digit's shape (see the constants' comment in reader/judge.py).
TYPICAL = Shape(
    parts=1, ink=0.14, stroke=2.5, length=2.4, fill=0.49, aspect=0.8, mnist_distance=0.36
)


def reading(*shapes: Shape, ink_cover: float = 0.05, strays: int = 0) -> Reading:
    digits = tuple(
        ReadDigit(np.zeros((28, 28, 1), np.float32), (40 * i, 0, 40 * i + 30, 40), shape)
        for i, shape in enumerate(shapes)
    )
    return Reading(digits, (40 * len(shapes), 40), strays, ink_cover, 0.01, 0)


def confident(digit: int, p: float = 0.98) -> np.ndarray:
    row = np.full(10, (1 - p) / 9)
    row[digit] = p
    return row


def test_a_clear_digit() -> None:
    answer = judge(reading(TYPICAL), confident(7)[np.newaxis])
    assert answer.status == DIGIT and answer.digit == 7
    assert answer.confidence == pytest.approx(0.98)
    assert answer.number is None


def test_close_top_two_is_uncertain_with_both() -> None:
    row = np.array([0, 0, 0, 0, 0.48, 0, 0, 0, 0, 0.44]) + 0.008
    answer = judge(reading(TYPICAL), row[np.newaxis])
    assert answer.status == UNCERTAIN
    assert [d for d, _ in answer.candidates] == [4, 9]


def test_a_digit_odd_in_one_way_is_still_a_digit() -> None:
    wide = dataclasses.replace(TYPICAL, mnist_distance=rules.SIGN_DISTANCE + 0.05)
    assert judge(reading(wide), confident(2)[np.newaxis]).status == DIGIT


def test_odd_in_three_ways_is_not_a_digit_even_when_the_model_is_sure() -> None:
    scribble = dataclasses.replace(
        TYPICAL,
        mnist_distance=rules.SIGN_DISTANCE + 0.02,
        length=rules.SIGN_LENGTH + 0.5,
        ink=rules.SIGN_FIELD_INK + 0.03,
    )
    answer = judge(reading(scribble), confident(8)[np.newaxis])
    assert answer.status == NOT_A_DIGIT
    assert answer.digit is None and len(answer.reasons) >= 3


def test_a_model_that_sees_nothing_is_not_a_digit() -> None:
    flat = np.full(10, 0.1)
    answer = judge(reading(TYPICAL), flat[np.newaxis])
    assert answer.status == NOT_A_DIGIT
    assert any("no digit" in reason for reason in answer.reasons)


def test_ink_all_over_the_page_is_not_a_digit() -> None:
    answer = judge(reading(TYPICAL, ink_cover=0.5), confident(3)[np.newaxis])
    assert answer.status == NOT_A_DIGIT
    assert "50%" in answer.reasons[0]


def test_several_digits_are_a_number() -> None:
    rows = np.stack([confident(2), confident(0), confident(2), confident(6)])
    answer = judge(reading(*[TYPICAL] * 4), rows)
    assert answer.status == NUMBER and answer.number == "2026"
    assert [d.box[0] for d in answer.digits] == [0, 40, 80, 120]
    assert all(d.status == DIGIT for d in answer.digits)


def test_an_uncertain_digit_in_a_number_keeps_its_own_status() -> None:
    unsure = np.array([0.05, 0.5, 0, 0, 0, 0, 0, 0.45, 0, 0])
    answer = judge(reading(TYPICAL, TYPICAL), np.stack([confident(4), unsure]))
    assert answer.status == NUMBER and answer.number == "41"
    assert [d.status for d in answer.digits] == [DIGIT, UNCERTAIN]


def test_mostly_non_digits_in_a_row_is_not_a_number() -> None:
    flat = np.full(10, 0.1)
    answer = judge(reading(TYPICAL, TYPICAL, TYPICAL), np.stack([confident(1), flat, flat]))
    assert answer.status == NOT_A_DIGIT


def test_a_mark_the_model_sees_no_digit_in_is_not_a_digit() -> None:
    low = np.array([rules.MIN_DIGIT_SCORE / 2])
    answer = judge(reading(TYPICAL), confident(7)[np.newaxis], low)
    assert answer.status == NOT_A_DIGIT and "digit score" in answer.reasons[0]
    assert judge(reading(TYPICAL), confident(7)[np.newaxis], np.ones(1)).status == DIGIT


def test_a_short_piece_beside_a_digit_is_a_stray_left_out() -> None:
    piece = reading(TYPICAL, TYPICAL)
    short = dataclasses.replace(piece.digits[1], box=(40, 20, 60, 35))  # 15 of 40 px tall
    piece = dataclasses.replace(piece, digits=(piece.digits[0], short))
    scores = np.array([0.99, rules.MIN_DIGIT_SCORE / 2])
    answer = judge(piece, np.stack([confident(5), confident(1)]), scores)
    assert answer.status == DIGIT and answer.digit == 5
    assert [d.stray for d in answer.digits] == [False, True]
    # As tall as the digit, it is no stray: half the row is no digit.
    tall = judge(reading(TYPICAL, TYPICAL), np.stack([confident(5), confident(1)]), scores)
    assert tall.status == NOT_A_DIGIT and not any(d.stray for d in tall.digits)


def test_the_answer_lists_every_mark_left_out_with_its_box_and_why() -> None:
    piece = reading(TYPICAL, TYPICAL)
    short = dataclasses.replace(piece.digits[1], box=(40, 20, 60, 35))
    far = LeftOut((300, 0, 340, 40), "too far from the digits (5.0 digit heights along the row)")
    piece = dataclasses.replace(piece, digits=(piece.digits[0], short), left_out=(far,))
    scores = np.array([0.99, rules.MIN_DIGIT_SCORE / 2])
    answer = judge(piece, np.stack([confident(5), confident(1)]), scores)
    assert answer.status == DIGIT
    assert answer.left_out == (LeftOut((40, 20, 60, 35), rules.STRAY_REASON), far)
    flagged = judge(dataclasses.replace(piece, ink_cover=0.9), np.stack([confident(5)] * 2))
    assert flagged.status == NOT_A_DIGIT and flagged.left_out == (far,)


def test_without_digit_scores_no_mark_is_a_stray() -> None:
    piece = reading(TYPICAL, TYPICAL)
    short = dataclasses.replace(piece.digits[1], box=(40, 20, 60, 35))
    piece = dataclasses.replace(piece, digits=(piece.digits[0], short))
    answer = judge(piece, np.stack([confident(5), confident(1)]))
    assert answer.status == NUMBER and answer.number == "51"


def test_rows_must_match_the_digits() -> None:
    with pytest.raises(ValueError, match="2 rows of probabilities for 1 digits"):
        judge(reading(TYPICAL), np.stack([confident(1), confident(2)]))
    with pytest.raises(ValueError, match="digit scores for 1 digits"):
        judge(reading(TYPICAL), confident(1)[np.newaxis], np.ones(2))


def test_a_batch_is_judged_upload_by_upload() -> None:
    """Three uploads' digits in one batch (1, 2 and 1 of them): each upload gets its rows."""
    uploads = [reading(TYPICAL), reading(TYPICAL, TYPICAL), reading(TYPICAL)]
    rows = np.stack([confident(3), confident(2), confident(6), confident(9)])
    scores = np.array([0.9, 0.95, 0.9, rules.MIN_DIGIT_SCORE / 2])
    judged = judge_all(uploads, rows, scores)
    assert [a.status for a in judged] == [DIGIT, NUMBER, NOT_A_DIGIT]
    assert judged[0].digit == 3 and judged[1].number == "26"
    assert [a.status for a in judge_all(uploads, rows)] == [DIGIT, NUMBER, DIGIT]  # no scores
    with pytest.raises(ValueError, match="rows of probabilities"):
        judge_all(uploads, rows[:3])


# --- the version's calibration ----------------------------------------------------------------

STRICT = Calibration(min_digit_score=0.5, min_margin=0.6)
LENIENT = Calibration(min_digit_score=0.05, min_margin=0.2)


def two_likely(top: float, runner_up: float) -> np.ndarray:
    row = np.full(10, (1 - top - runner_up) / 8)
    row[3], row[8] = top, runner_up
    return row[np.newaxis]


def test_each_calibration_judges_the_same_outputs_its_own_way() -> None:
    """A strict and a lenient version: the same probabilities and digit_score, two answers."""
    page, rows = reading(TYPICAL), two_likely(0.7, 0.25)  # margin 0.45
    assert judge(page, rows, np.array([0.3]), STRICT).status == NOT_A_DIGIT
    assert judge(page, rows, np.array([0.3]), LENIENT).status == DIGIT
    assert judge(page, rows, np.array([0.9]), STRICT).status == UNCERTAIN
    # Two uploads of one batch, both answered by the lenient version.
    batch = judge_all([page, page], np.concatenate([rows, rows]), np.array([0.3, 0.01]), LENIENT)
    assert [a.status for a in batch] == [DIGIT, NOT_A_DIGIT]


def test_a_version_without_calibration_is_judged_with_the_defaults() -> None:
    page = reading(TYPICAL)
    just_under = np.array([DEFAULT_CALIBRATION.min_digit_score * 0.9])
    assert judge(page, confident(7)[np.newaxis], just_under).status == NOT_A_DIGIT
    margin = DEFAULT_CALIBRATION.min_margin
    unsure = two_likely(0.5 + margin / 2 - 0.01, 0.5 - margin / 2)
    assert judge(page, unsure, np.ones(1)).status == UNCERTAIN


def test_with_a_digit_score_the_shape_refuses_no_digit_the_model_believes_in() -> None:
    """Noise in the field, stripes across it: many pieces, much ink, long strokes. A version
    with digit_score judges by its outputs; one without it still refuses the shape."""
    noisy = dataclasses.replace(
        TYPICAL,
        parts=31,
        ink=rules.MAX_FIELD_INK + 0.03,
        length=rules.MAX_LENGTH + 0.5,
        mnist_distance=rules.MAX_MNIST_DISTANCE + 0.05,
    )
    believed = judge(reading(noisy), confident(5)[np.newaxis], np.array([0.8]), LENIENT)
    assert believed.status == DIGIT and believed.digit == 5
    assert judge(reading(noisy), confident(5)[np.newaxis]).status == NOT_A_DIGIT


def test_the_page_guards_still_refuse_what_no_model_can_judge() -> None:
    inked = reading(TYPICAL, ink_cover=rules.MAX_INK_COVER + 0.05)
    crowded = reading(TYPICAL, strays=rules.MAX_STRAYS + 1)
    for page in (inked, crowded):
        answer = judge(page, confident(5)[np.newaxis], np.array([0.99]), LENIENT)
        assert answer.status == NOT_A_DIGIT


def test_dust_around_a_digit_is_refused_only_by_a_version_without_digit_score() -> None:
    dusty = reading(TYPICAL, strays=rules.LEGACY_MAX_STRAYS + 8, ink_cover=0.5)
    assert judge(dusty, confident(5)[np.newaxis], np.array([0.99]), LENIENT).status == DIGIT
    legacy = judge(dusty, confident(5)[np.newaxis])
    assert legacy.status == NOT_A_DIGIT and "other marks" in legacy.reasons[1]


def test_the_calibration_is_read_from_a_versions_outputs() -> None:
    rows = {"min_digit_score": np.full(3, 0.25), "min_margin": np.full(3, 0.3)}
    assert Calibration.from_outputs(rows) == Calibration(0.25, 0.3)
    assert Calibration.from_outputs({"digit_score": np.ones(3)}) is None  # an older version
    assert Calibration.from_outputs({k: v[:0] for k, v in rows.items()}) is None  # no rows
    with pytest.raises(ValueError, match="'min_margin' output is not one number"):
        Calibration.from_outputs({**rows, "min_margin": np.array([0.3, 0.3, 0.5])})


# --- the shape side on real images: the model is assumed sure (the worst case) ---------------


def judged_with_a_sure_model(data: bytes) -> str:
    result = read(data)
    rows = np.stack([confident(8) for _ in result.digits])
    return judge(result, rows).status


def scribble(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    sheet = Image.new("L", (240, 240), 240)
    draw = ImageDraw.Draw(sheet)
    for _ in range(3):
        turns = np.cumsum(rng.normal(0, 0.5, 120))
        xs = 120 + np.cumsum(6 * np.cos(turns))
        ys = 120 + np.cumsum(6 * np.sin(turns))
        xs = 40 + (xs - xs.min()) / max(np.ptp(xs), 1) * 160
        ys = 40 + (ys - ys.min()) / max(np.ptp(ys), 1) * 160
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=20, width=6)
    return encode(sheet)


@pytest.mark.parametrize("seed", range(4))
def test_a_dense_scribble_is_not_a_digit(seed: int) -> None:
    assert judged_with_a_sure_model(scribble(seed)) == NOT_A_DIGIT


@pytest.mark.parametrize("seed", range(3))
def test_noise_is_no_digit(seed: int) -> None:
    noise = np.random.default_rng(seed).integers(0, 256, (200, 200), dtype=np.uint8)
    try:
        status = judged_with_a_sure_model(encode(noise))
    except NoInk:  # no component stands out of the noise: no digit found, a 422
        return
    assert status == NOT_A_DIGIT


@pytest.mark.parametrize("index", range(0, 40, 4))
def test_real_digits_are_not_flagged_by_their_shape(index: int) -> None:
    digit, _ = pages.bundled(index)
    photo = pages.noisy(
        pages.on_paper(pages.place(pages.ink_of(digit, 140), (300, 400), (80, 130))), 5.0
    )
    assert judged_with_a_sure_model(encode(pages.as_uint8(photo))) in (DIGIT, UNCERTAIN)


def test_a_stray_is_judged_by_the_version_s_own_digit_score_limit() -> None:
    piece = reading(TYPICAL, TYPICAL)
    short = dataclasses.replace(piece.digits[1], box=(40, 20, 60, 35))  # a short mark
    piece = dataclasses.replace(piece, digits=(piece.digits[0], short))
    scores = np.array([0.99, 0.3])  # under STRICT's 0.5, over LENIENT's 0.05
    rows = np.stack([confident(5), confident(1)])
    assert [d.stray for d in judge(piece, rows, scores, STRICT).digits] == [False, True]
    assert judge(piece, rows, scores, STRICT).status == DIGIT
    assert judge(piece, rows, scores, LENIENT).number == "51"
