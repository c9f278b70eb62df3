"""Windowed figures per version and role (figures.py), on a clock the test moves."""

from __future__ import annotations

import numpy as np
import pytest

from serving.gateway.figures import Figures


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_only_events_within_the_window_count(clock: Clock) -> None:
    figures = Figures(max_window_seconds=600, max_events=1000, clock=clock)
    figures.served(1, "stable", 0.500, np.array([0.5]))  # at 1000: out of a 60 s window at 1100
    clock.now = 1090
    for latency in (0.010, 0.020, 0.030):
        figures.served(1, "stable", latency, np.array([0.9, 0.7]))
    figures.error(1, "stable")
    clock.now = 1100

    [stable] = figures.snapshot(60, generation=4).versions
    assert (stable.version, stable.role, stable.requests, stable.errors) == (1, "stable", 3, 1)
    assert stable.p50_ms == pytest.approx(20.0)
    assert 29.0 < (stable.p99_ms or 0) <= 30.0
    assert stable.mean_confidence == pytest.approx(0.8)

    [longer] = figures.snapshot(200, generation=4).versions
    assert (longer.requests, longer.p99_ms is not None and longer.p99_ms > 400) == (4, True)


def test_shadow_and_feedback_counts(clock: Clock) -> None:
    figures = Figures(600, 1000, clock=clock)
    figures.compared(2, "shadow", [True, True, False])
    figures.dropped(2, "shadow")
    figures.feedback(2, "shadow", correct=True)
    figures.feedback(2, "shadow", correct=False)
    [candidate] = figures.snapshot(60, generation=1).versions
    assert (candidate.shadow_compared, candidate.shadow_agreed, candidate.shadow_dropped) == (
        3,
        2,
        1,
    )
    assert candidate.agreement == pytest.approx(2 / 3)
    assert (candidate.feedback, candidate.feedback_accuracy) == (2, 0.5)
    assert (candidate.requests, candidate.p50_ms, candidate.mean_confidence) == (0, None, None)


def test_memory_is_bounded_by_the_cap_and_the_longest_window(clock: Clock) -> None:
    figures = Figures(max_window_seconds=100, max_events=100, clock=clock)
    for _ in range(250):
        figures.served(1, "stable", 0.01, np.array([0.9]))
    assert figures.snapshot(60, generation=1).versions[0].requests == 100  # the latest 100
    clock.now += 101
    assert figures.snapshot(60, generation=1, expected=[(1, "stable")]).versions[0].requests == 0
    assert figures.snapshot(60, generation=1).versions == []  # a version with no events goes


def test_expected_versions_are_listed_before_any_traffic(clock: Clock) -> None:
    snapshot = Figures(600, 100, clock=clock).snapshot(
        30, generation=7, expected=[(1, "stable"), (2, "canary")]
    )
    assert (snapshot.generation, snapshot.window_seconds) == (7, 30)
    assert [(v.version, v.role, v.requests) for v in snapshot.versions] == [
        (1, "stable", 0),
        (2, "canary", 0),
    ]
