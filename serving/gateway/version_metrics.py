"""Recording what each version did, in its role: Prometheus' counters (instruments.py) and
the windowed figures of GET /v1/rollout (figures.py), from one call each.

Only rollout traffic enters the figures (roles stable, canary, shadow): pinned requests
(?version=, ?label=) and an unmanaged gateway's are Prometheus-only, so the guard compares
the candidate with what the split sent to stable, nothing else.
"""

from __future__ import annotations

import numpy as np

from contract.rollout import CANARY, SHADOW, STABLE
from serving.gateway.figures import Figures
from serving.gateway.instruments import (
    FEEDBACK,
    SHADOW_COMPARISONS,
    VERSION_CONFIDENCE,
    VERSION_ERRORS,
    VERSION_LATENCY,
    VERSION_REQUESTS,
    child,
)

PINNED = "pinned"  # ?version= or ?label=: the client chose, not the rollout
UNMANAGED = "unmanaged"  # no rollout state: the highest available version
ROLLOUT_ROLES = frozenset({STABLE, CANARY, SHADOW})


class VersionRecorder:
    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def served(self, version: int, role: str, seconds: float, confidences: np.ndarray) -> None:
        labels = (str(version), role)
        child(VERSION_REQUESTS, *labels).inc()
        child(VERSION_LATENCY, *labels).observe(seconds)
        histogram = child(VERSION_CONFIDENCE, *labels)
        for confidence in confidences:
            histogram.observe(float(confidence))
        if role in ROLLOUT_ROLES:
            self.figures.served(version, role, seconds, confidences)

    def error(self, version: int, role: str) -> None:
        child(VERSION_ERRORS, str(version), role).inc()
        if role in ROLLOUT_ROLES:
            self.figures.error(version, role)

    def compared(self, version: int, role: str, agreed: list[bool]) -> None:
        """The candidate's answers to a copy of stable's request, image by image."""
        agreements = sum(agreed)
        child(SHADOW_COMPARISONS, str(version), role, "agree").inc(agreements)
        child(SHADOW_COMPARISONS, str(version), role, "disagree").inc(len(agreed) - agreements)
        self.figures.compared(version, role, agreed)

    def shadow_failed(self, version: int, role: str) -> None:
        child(SHADOW_COMPARISONS, str(version), role, "error").inc()
        self.error(version, role)

    def shadow_dropped(self, version: int, role: str) -> None:
        child(SHADOW_COMPARISONS, str(version), role, "dropped").inc()
        self.figures.dropped(version, role)

    def feedback(self, version: int, role: str, correct: bool) -> None:
        outcome = "correct" if correct else "wrong"
        child(FEEDBACK, str(version), role, outcome).inc()
        if role in ROLLOUT_ROLES:
            self.figures.feedback(version, role, correct)
