"""The guard's rules on made-up figures: each rule's limit, evidence, and what a check does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from contract.rollout import RolloutState, VersionFigures
from serving.rollout import guard

T = guard.Thresholds()
# Healthy figures from a window with plenty of traffic.
STABLE = VersionFigures(
    1, "stable", requests=400, errors=0, p50_ms=10.0, p99_ms=20.0, mean_confidence=0.97
)
GOOD = VersionFigures(
    2,
    "canary",
    requests=300,
    errors=0,
    p50_ms=10.0,
    p99_ms=22.0,
    mean_confidence=0.96,
    shadow_compared=300,
    shadow_agreed=297,
)


def outcome(candidate: VersionFigures, stable: VersionFigures = STABLE) -> str:
    return guard.judge(stable, candidate, T).outcome


def test_a_candidate_as_good_as_stable_passes() -> None:
    verdict = guard.judge(STABLE, GOOD, T)
    assert verdict.outcome == "pass"
    assert [c.rule for c in verdict.checks] == [
        "errors",
        "p99",
        "agreement",
        "confidence",
        "feedback",
    ]


@pytest.mark.parametrize(
    ("change", "result"),
    [
        ({"errors": 3, "requests": 297}, "pass"),  # 1.0%: stable's 0 + 1 point, on the limit
        ({"errors": 4, "requests": 296}, "fail"),  # 1.3%
        ({"p99_ms": 35.0}, "pass"),  # 1.5 × 20 + 5 = 35 ms, on the limit
        ({"p99_ms": 35.5}, "fail"),
        ({"shadow_agreed": 285}, "pass"),  # 95.0%
        ({"shadow_agreed": 284}, "fail"),
        ({"mean_confidence": 0.92}, "pass"),  # 0.97 − 0.05
        ({"mean_confidence": 0.91}, "fail"),
    ],
)
def test_each_rule_holds_to_its_limit(change: dict[str, Any], result: str) -> None:
    assert outcome(replace(GOOD, **change)) == result


def test_one_failed_rule_fails_even_while_others_wait_for_evidence() -> None:
    bad = replace(GOOD, mean_confidence=0.2, shadow_compared=3, shadow_agreed=0)
    verdict = guard.judge(STABLE, bad, T)
    assert verdict.outcome == "fail"
    assert [c.rule for c in verdict.failed()] == ["confidence"]
    assert "0.200 vs stable 0.970" in verdict.summary()


@pytest.mark.parametrize(
    "change",
    [
        {"requests": 49},  # fewer than min_requests
        {"requests": 199, "p99_ms": 90.0},  # a p99 of fewer than 200 answers is not judged
        {"shadow_compared": 49, "shadow_agreed": 0},  # too few comparisons to judge agreement
    ],
)
def test_too_little_evidence_waits_for_traffic(change: dict[str, Any]) -> None:
    verdict = guard.judge(STABLE, replace(GOOD, **change), T)
    assert verdict.outcome == "wait"
    assert "waiting for" in verdict.summary()


def test_stable_needs_its_own_evidence_too() -> None:
    assert outcome(GOOD, replace(STABLE, requests=10)) == "wait"


def test_feedback_is_judged_only_where_both_have_enough() -> None:
    few = replace(GOOD, feedback=19, feedback_correct=0)
    stable = replace(STABLE, feedback=40, feedback_correct=40)
    assert outcome(few, stable) == "pass"  # 19 < 20 feedbacks: not judged, not required
    worse = replace(GOOD, feedback=20, feedback_correct=19)  # 95% vs 100% − 2 points
    assert outcome(worse, stable) == "fail"
    assert outcome(replace(worse, feedback_correct=20), stable) == "pass"


def test_thresholds_are_settable() -> None:
    strict = replace(T, min_agreement=0.999)
    assert guard.judge(STABLE, GOOD, strict).outcome == "fail"


@pytest.mark.parametrize(
    ("result", "held", "action"),
    [
        ("fail", 1.0, "rollback"),  # at once, whatever the time held
        ("wait", 100.0, "wait"),
        ("pass", 10.0, "hold"),
        ("pass", 30.0, "advance"),
    ],
)
def test_what_a_check_does(result: guard.Outcome, held: float, action: str) -> None:
    assert guard.act(guard.Verdict(result), held, window_seconds=30.0) == action


@pytest.mark.parametrize(
    ("percent", "after"),
    [(0.0, 10.0), (10.0, 50.0), (20.0, 50.0), (50.0, None), (100.0, None)],
)
def test_the_next_step(percent: float, after: float | None) -> None:
    assert guard.next_percent(percent, [10.0, 50.0, 100.0]) == after


@pytest.mark.parametrize("text", ["", "10,x", "50,10", "0,50", "10,101", "10,10"])
def test_bad_steps_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        guard.parse_steps(text)


def test_figures_are_picked_by_version_and_role() -> None:
    state = RolloutState(stable=1, candidate=2, mode="canary", percent=10.0)
    shadowed = VersionFigures(2, "shadow", requests=5, shadow_compared=5, shadow_agreed=5)
    old = VersionFigures(1, "canary", requests=99)  # version 1's earlier life: not stable's
    stable, candidate = guard.pick([STABLE, GOOD, shadowed, old], state)
    assert stable == STABLE
    assert (candidate.version, candidate.requests, candidate.shadow_compared) == (2, 305, 305)


def test_a_version_not_reported_counts_as_no_traffic() -> None:
    state = RolloutState(stable=1, candidate=2, mode="shadow")
    stable, candidate = guard.pick([STABLE], state)
    assert (candidate.version, candidate.requests) == (2, 0)
    assert guard.judge(stable, candidate, T).outcome == "wait"
