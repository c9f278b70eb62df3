"""Figures from several gateways (or roles) taken together, for the guard."""

from __future__ import annotations

from collections.abc import Sequence

from contract.rollout import RolloutFigures, VersionFigures


def combined(answers: Sequence[RolloutFigures]) -> list[VersionFigures]:
    """One VersionFigures per (version, role) over all gateways."""
    merged: dict[tuple[int, str], VersionFigures] = {}
    for answer in answers:
        for figures in answer.versions:
            key = (figures.version, figures.role)
            merged[key] = figures if key not in merged else add(merged[key], figures)
    return [merged[key] for key in sorted(merged)]


def add(a: VersionFigures, b: VersionFigures) -> VersionFigures:
    """Counts added, latencies the worst of the two (a percentile cannot be added), mean
    confidence weighted by requests."""
    requests = a.requests + b.requests
    return VersionFigures(
        version=a.version,
        role=a.role,
        requests=requests,
        errors=a.errors + b.errors,
        p50_ms=_worst(a.p50_ms, b.p50_ms),
        p99_ms=_worst(a.p99_ms, b.p99_ms),
        mean_confidence=_weighted(a.mean_confidence, a.requests, b.mean_confidence, b.requests),
        shadow_compared=a.shadow_compared + b.shadow_compared,
        shadow_agreed=a.shadow_agreed + b.shadow_agreed,
        shadow_dropped=a.shadow_dropped + b.shadow_dropped,
        feedback=a.feedback + b.feedback,
        feedback_correct=a.feedback_correct + b.feedback_correct,
    )


def _worst(a: float | None, b: float | None) -> float | None:
    return max((x for x in (a, b) if x is not None), default=None)


def _weighted(a: float | None, na: int, b: float | None, nb: int) -> float | None:
    parts = [(x, n) for x, n in ((a, na), (b, nb)) if x is not None and n > 0]
    total = sum(n for _, n in parts)
    return sum(x * n for x, n in parts) / total if total else None
