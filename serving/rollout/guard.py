"""The guard's rules: does the candidate hold against stable? Pure functions of the figures.

Each rule compares the candidate's live figures with stable's over the same window and says
pass, fail, or "not enough evidence" (None). One failed rule rolls back at once; a step is
passed when every required rule passes. Feedback is judged only where both versions have
enough of it, so a rollout without feedback is not held up.

    error rate      candidate ≤ stable + 1 point
    p99 latency     candidate ≤ 1.5 × stable + 5 ms
    agreement       the candidate's answers on copies of stable's traffic agree ≥ 95%
    confidence      candidate's mean ≥ stable's − 0.05
    feedback        candidate's accuracy ≥ stable's − 0.02 (both with ≥ 20 feedbacks)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from contract.rollout import STABLE, RolloutState, VersionFigures
from serving.rollout.figures import add

Outcome = Literal["pass", "fail", "wait"]
Action = Literal["rollback", "wait", "hold", "advance", "promote"]


@dataclass(frozen=True)
class Thresholds:
    max_error_rate_increase: float = 0.01
    latency_ratio: float = 1.5
    latency_slack_ms: float = 5.0
    min_agreement: float = 0.95
    max_confidence_drop: float = 0.05
    max_feedback_accuracy_drop: float = 0.02
    min_feedback: int = 20
    min_requests: int = 50  # per version, in the window, before its figures count
    # A p99 of fewer answers is their maximum: one slow call would decide.
    min_latency_requests: int = 200
    min_comparisons: int = 50  # shadow comparisons before agreement counts


@dataclass(frozen=True)
class Check:
    rule: str
    ok: bool | None  # None: not enough evidence yet
    detail: str
    required: bool = True  # a step passes only when this rule has passed


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    checks: list[Check] = field(default_factory=list)

    def summary(self) -> str:
        return "; ".join(f"{c.rule} {_mark(c.ok)} {c.detail}" for c in self.checks)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]


def _mark(ok: bool | None) -> str:
    return {True: "ok", False: "FAIL", None: "n/a"}[ok]


def judge(stable: VersionFigures, candidate: VersionFigures, t: Thresholds) -> Verdict:
    checks = [
        error_rate(stable, candidate, t),
        latency(stable, candidate, t),
        agreement(candidate, t),
        confidence(stable, candidate, t),
        feedback(stable, candidate, t),
    ]
    if any(c.ok is False for c in checks):
        return Verdict("fail", checks)
    if any(c.ok is None and c.required for c in checks):
        return Verdict("wait", checks)
    return Verdict("pass", checks)


def _enough(t: Thresholds, *figures: VersionFigures) -> bool:
    return all(f.requests + f.errors >= t.min_requests for f in figures)


def _counts(stable: VersionFigures, candidate: VersionFigures) -> str:
    return f"(n={stable.requests + stable.errors}/{candidate.requests + candidate.errors})"


def error_rate(stable: VersionFigures, candidate: VersionFigures, t: Thresholds) -> Check:
    ours, theirs = candidate.error_rate, stable.error_rate
    if not _enough(t, stable, candidate) or ours is None or theirs is None:
        return Check("errors", None, f"waiting for traffic {_counts(stable, candidate)}")
    limit = theirs + t.max_error_rate_increase
    detail = f"{ours:.2%} vs stable {theirs:.2%} (limit {limit:.2%})"
    return Check("errors", ours <= limit, detail)


def latency(stable: VersionFigures, candidate: VersionFigures, t: Thresholds) -> Check:
    ours, theirs = candidate.p99_ms, stable.p99_ms
    enough = min(stable.requests, candidate.requests) >= t.min_latency_requests
    if not enough or ours is None or theirs is None:
        return Check("p99", None, f"waiting for traffic {_counts(stable, candidate)}")
    limit = theirs * t.latency_ratio + t.latency_slack_ms
    return Check(
        "p99", ours <= limit, f"{ours:.1f} ms vs stable {theirs:.1f} ms (limit {limit:.1f})"
    )


def agreement(candidate: VersionFigures, t: Thresholds) -> Check:
    value = candidate.agreement
    if candidate.shadow_compared < t.min_comparisons or value is None:
        waiting = f"waiting for comparisons ({candidate.shadow_compared}/{t.min_comparisons})"
        return Check("agreement", None, waiting)
    detail = f"{value:.1%} of {candidate.shadow_compared} (min {t.min_agreement:.0%})"
    return Check("agreement", value >= t.min_agreement, detail)


def confidence(stable: VersionFigures, candidate: VersionFigures, t: Thresholds) -> Check:
    ours, theirs = candidate.mean_confidence, stable.mean_confidence
    if not _enough(t, stable, candidate) or ours is None or theirs is None:
        return Check("confidence", None, f"waiting for traffic {_counts(stable, candidate)}")
    limit = theirs - t.max_confidence_drop
    return Check(
        "confidence", ours >= limit, f"{ours:.3f} vs stable {theirs:.3f} (min {limit:.3f})"
    )


def feedback(stable: VersionFigures, candidate: VersionFigures, t: Thresholds) -> Check:
    ours, theirs = candidate.feedback_accuracy, stable.feedback_accuracy
    if min(stable.feedback, candidate.feedback) < t.min_feedback or ours is None or theirs is None:
        detail = (
            f"not judged ({stable.feedback}/{candidate.feedback} of {t.min_feedback} feedbacks)"
        )
        return Check("feedback", None, detail, required=False)
    limit = theirs - t.max_feedback_accuracy_drop
    detail = f"{ours:.1%} vs stable {theirs:.1%} (min {limit:.1%})"
    return Check("feedback", ours >= limit, detail, required=False)


def act(verdict: Verdict, held_seconds: float, window_seconds: float) -> Action:
    """What to do at a check: roll back at once on a failure; move on once the step has
    held a whole window and every required rule passes; else hold, or wait for traffic."""
    if verdict.outcome == "fail":
        return "rollback"
    if verdict.outcome == "wait":
        return "wait"
    return "advance" if held_seconds >= window_seconds else "hold"


def next_percent(percent: float, steps: Sequence[float]) -> float | None:
    """The next step above `percent`; None when the next move is to promote (100 or past
    the last step)."""
    higher = [s for s in steps if s > percent and s < 100]
    return min(higher) if higher else None


def parse_steps(text: str) -> list[float]:
    """`10,50,100`: increasing percents in (0, 100]."""
    try:
        steps = [float(part) for part in text.split(",")]
    except ValueError as exc:
        raise ValueError(f"{text!r}: expected percents like 10,50,100") from exc
    if not steps or any(not 0 < s <= 100 for s in steps) or steps != sorted(set(steps)):
        raise ValueError(f"{text!r}: expected increasing percents in (0, 100]")
    return steps


def pick(
    versions: Iterable[VersionFigures], state: RolloutState
) -> tuple[VersionFigures, VersionFigures]:
    """Stable's figures and the candidate's (canary and shadow roles added up); zeros for a
    version the gateways have not reported."""
    assert state.candidate is not None, "the guard watches a candidate"
    listed = list(versions)
    stable = [f for f in listed if f.version == state.stable and f.role == STABLE]
    candidate = [f for f in listed if f.version == state.candidate and f.role != STABLE]
    return (
        _total(stable, state.stable, STABLE),
        _total(candidate, state.candidate, state.mode or ""),
    )


def _total(figures: list[VersionFigures], version: int, role: str) -> VersionFigures:
    total = VersionFigures(version, role)
    for each in figures:
        total = add(total, each)
    return total
