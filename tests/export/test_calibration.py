"""The judge's calibration at export (export/calibration.py): its two rules on outputs written
here, and the renders it measures (the model's side: test_saved_model.py)."""

import numpy as np
import pytest

from contract.digits import load_bundled
from export.calibration import (
    FLAGGED_SHARE,
    UNCERTAIN_SHARE,
    Measured,
    choose,
    styled_readings,
    threshold_for,
)
from export.errors import ExportError
from reader.styles import DIGIT_STYLES


def test_the_threshold_leaves_at_most_the_share_under_it() -> None:
    values = np.arange(1000) / 1000  # 0.000 .. 0.999
    assert threshold_for(values, 0.005) == 0.005  # 5 values under it, the sixth not
    assert threshold_for(values[::-1], 0.02) == 0.02
    assert threshold_for(values, 0.0) == 0.0
    with pytest.raises(ExportError, match="no held-out render"):
        threshold_for(np.array([]), 0.01)


def test_a_surer_model_gets_a_stricter_calibration() -> None:
    """The rules follow the model: a version whose real digits score higher refuses more."""
    rng = np.random.default_rng(0)
    scores, margins = rng.uniform(0.2, 1, 2000), rng.uniform(0.1, 1, 2000)
    right = rng.random(2000) < 0.98
    loose, figures = choose(Measured(scores, margins, right, 2000))
    sure, _ = choose(Measured(np.sqrt(scores), np.sqrt(margins), right, 2000))
    assert sure.min_digit_score > loose.min_digit_score
    assert sure.min_margin > loose.min_margin
    assert figures["not_a_digit"] <= FLAGGED_SHARE
    assert figures["uncertain"] <= UNCERTAIN_SHARE
    assert figures["digit"] + figures["uncertain"] + figures["not_a_digit"] == pytest.approx(1)


def test_the_wrong_answers_are_the_uncertain_ones_when_the_margins_say_so() -> None:
    margins = np.linspace(0, 1, 1000)
    right = margins > 0.01  # the ten smallest margins are the model's mistakes
    _, figures = choose(Measured(np.ones(1000), margins, right, 1000))
    assert figures["digit_right"] == 1.0 and figures["uncertain_right"] < 0.6


def test_held_out_digits_are_rendered_in_every_style_and_read() -> None:
    digits = load_bundled().images[:7]
    readings, shown = styled_readings(digits, 3, jobs=1)
    assert len(readings) == len(shown) == 3 * len(DIGIT_STYLES)
    assert set(shown[:6].tolist()) == {0, 1, 2, 3, 4, 5}  # style after style, onwards
    assert all(r is not None and r.digits for r in readings)
