"""The quality gate's decision (pure logic; the end-to-end refusals are in test_publish)."""

import pytest

from export.gate import judge
from tests.export.helpers import held_out


def test_passes_with_nothing_published() -> None:
    result = judge(0.95, {}, held_out(), min_accuracy=0.9)
    assert result.passed
    assert result.best_published_version is None


def test_refuses_below_the_minimum_with_both_numbers() -> None:
    result = judge(0.8123, {}, held_out(), min_accuracy=0.9)
    assert not result.passed
    assert "0.8123" in result.refusals[0]
    assert "0.9000" in result.refusals[0]


@pytest.mark.parametrize(
    ("accuracy", "passed"),
    [(0.9560, True), (0.9550, True), (0.9549, False), (0.90, False), (0.97, True)],
)
def test_regression_is_in_percentage_points_against_the_best_version(
    accuracy: float, passed: bool
) -> None:
    published = {1: 0.9500, 2: 0.9600, 3: 0.9400}
    result = judge(accuracy, published, held_out(), min_accuracy=0.5, max_regression_pp=0.5)
    assert result.passed is passed
    assert result.best_published_version == 2
    if not passed:
        assert f"{accuracy:.4f}" in result.refusals[0]
        assert "0.9600" in result.refusals[0]
        assert "version 2" in result.refusals[0]


def test_both_refusals_are_reported() -> None:
    result = judge(0.5, {1: 0.99}, held_out(), min_accuracy=0.9, max_regression_pp=0.5)
    assert len(result.refusals) == 2
    assert result.as_dict()["passed"] is False
