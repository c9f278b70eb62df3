"""The issue's accuracy goal per upload style, with a model: the 500 bundled validation digits
(never trained on) in each style of reader/styles.py, preprocessed by the contract and
classified by the `published_model` SavedModel in this process, against the same digits as
plain PNGs.

Styles that meet the goal on main are held to it (within 1 point of plain PNGs: 5 digits of
500). The others are held to a floor 3 points under what main gave with the fixture's 2-epoch
CNN, so that a regression fails while the goal is still ahead; move a style into MEETS_GOAL
when it gets there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from contract.digits import load_bundled
from reader.preprocessing import ImageError, preprocess
from reader.styles import DIGIT_STYLES, render

pytestmark = pytest.mark.slow

GOAL_DIGITS = 5  # 1 point of 500
MEETS_GOAL = {
    "plain",
    "paper",
    "canvas",
    "photo",
    "transparent",
    "phone_noisy",
    "phone_small",
    "scan",
    "scan_bilevel",
    "upscaled",
}
# Correct digits (of 500) for the styles short of the goal or on its edge, 3 points under
# the lower of two measurements on main with the fixture's model (plain gave 485): phone
# 480/483, phone_gradient 481/480, phone_shadow 474/470, phone_blurry 478/481, pen_thick
# 461/460, pen_thin 480/481; coloured_ink met the goal (482) until contract 16ab7e7 (473).
# The fixture's 2-epoch model itself moves a style by up to 7 digits from one training seed
# to another: downscaled (pages under 64 px, no analysis) gave 475-481 against plain's 482-488 for
# seeds 1 and 2, and 477 against 484 once the non-digit examples were read with an evenly
# lit page's paper as one level (reader/page.py): it is on the goal's edge. Lined and squared
# paper too, since the fixture's model also learns damaged digits (training/corrupt.py, a
# third of each of its two epochs): 479/500 each against plain's 486-488, in two runs; the
# make demo CNN holds both within the goal (-0.50 and -0.60 points on the first 2,000 test
# digits, benchmarks/upload_accuracy.py --limit 2000).
FLOORS = {
    "lined": 464,
    "squared": 464,
    "coloured_ink": 458,
    "phone": 465,
    "phone_gradient": 465,
    "phone_shadow": 455,
    "phone_blurry": 463,
    "pen_thick": 445,
    "pen_thin": 465,
    "downscaled": 462,
}


@pytest.fixture(scope="module")
def classify(published_model: Path):
    import tensorflow as tf

    serving_fn = tf.saved_model.load(str(published_model / "1")).signatures["serving_default"]

    def run(images: np.ndarray) -> np.ndarray:
        batch = tf.constant(images[..., np.newaxis].astype(np.float32))
        return serving_fn(images=batch)["probabilities"].numpy().argmax(axis=1)

    return run


def correct(style: str, classify) -> int:
    digits = load_bundled()
    rng = np.random.default_rng(0)
    inputs = []
    for image in digits.images:
        try:
            inputs.append(preprocess(render(image, style, rng)))
        except ImageError:
            inputs.append(np.zeros((28, 28), np.float32))  # nothing found: wrong
    return int((classify(np.stack(inputs)) == digits.labels).sum())


@pytest.fixture(scope="module")
def plain(classify) -> int:
    return correct("plain", classify)


def test_every_style_is_either_held_to_the_goal_or_to_a_floor() -> None:
    assert MEETS_GOAL.isdisjoint(FLOORS)
    assert MEETS_GOAL | set(FLOORS) == set(DIGIT_STYLES)


@pytest.mark.parametrize("style", sorted(MEETS_GOAL - {"plain"}))
def test_style_within_a_point_of_plain_pngs(classify, plain: int, style: str) -> None:
    measured = correct(style, classify)
    assert plain - measured <= GOAL_DIGITS, f"{style}: {measured}/500 vs plain {plain}/500"


@pytest.mark.parametrize("style", sorted(FLOORS))
def test_style_keeps_its_floor(classify, style: str) -> None:
    measured = correct(style, classify)
    assert measured >= FLOORS[style], f"{style}: {measured}/500 (floor {FLOORS[style]})"
