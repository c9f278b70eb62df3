"""Live figures per (version, role) over a sliding window, for GET /v1/rollout and its guard.

Every event is kept with its time in a deque per kind, cut to the longest window
(`GATEWAY_FIGURES_MAX_WINDOW_SECONDS`) and capped in length (`GATEWAY_FIGURES_MAX_EVENTS`),
so memory is bounded whatever the traffic; past the cap the window holds the latest events
only. Per worker: each gateway process answers for its own traffic.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from contract.rollout import RolloutFigures, VersionFigures

Event = TypeVar("Event")
Key = tuple[int, str]  # (model version, role)


class Window(Generic[Event]):
    """Timestamped events, oldest first, at most `cap` of them."""

    def __init__(self, cap: int) -> None:
        self._events: deque[tuple[float, Event]] = deque(maxlen=cap)

    def add(self, now: float, event: Event) -> None:
        self._events.append((now, event))

    def trim(self, oldest: float) -> None:
        while self._events and self._events[0][0] < oldest:
            self._events.popleft()

    def since(self, start: float) -> list[Event]:
        return [event for at, event in self._events if at >= start]

    def __bool__(self) -> bool:
        return bool(self._events)


@dataclass(frozen=True)
class Served:
    latency_s: float  # the predict stage: the model server's answer as the gateway waits it
    confidence_sum: float  # over the request's images
    images: int


class VersionEvents:
    """What happened to one version in one role."""

    def __init__(self, cap: int) -> None:
        self.served: Window[Served] = Window(cap)
        self.errors: Window[None] = Window(cap)
        self.shadow: Window[bool] = Window(cap)  # one per image compared: agreed?
        self.dropped: Window[None] = Window(cap)  # shadow copies not sent
        self.feedback: Window[bool] = Window(cap)  # correct?

    def trim(self, oldest: float) -> None:
        for window in self._windows():
            window.trim(oldest)

    def empty(self) -> bool:
        return not any(self._windows())

    def _windows(
        self,
    ) -> tuple[Window[Served], Window[None], Window[bool], Window[None], Window[bool]]:
        return (self.served, self.errors, self.shadow, self.dropped, self.feedback)

    def figures(self, key: Key, start: float) -> VersionFigures:
        served = self.served.since(start)
        latencies_ms = np.array([s.latency_s for s in served]) * 1000
        images = sum(s.images for s in served)
        shadow = self.shadow.since(start)
        feedback = self.feedback.since(start)
        return VersionFigures(
            version=key[0],
            role=key[1],
            requests=len(served),
            errors=len(self.errors.since(start)),
            p50_ms=_percentile(latencies_ms, 50),
            p99_ms=_percentile(latencies_ms, 99),
            mean_confidence=round(sum(s.confidence_sum for s in served) / images, 6)
            if images
            else None,
            shadow_compared=len(shadow),
            shadow_agreed=sum(shadow),
            shadow_dropped=len(self.dropped.since(start)),
            feedback=len(feedback),
            feedback_correct=sum(feedback),
        )


def _percentile(values: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if len(values) else None


class Figures:
    """The events of every (version, role) this worker has seen within the longest window."""

    def __init__(
        self,
        max_window_seconds: float,
        max_events: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_window = max_window_seconds
        self.max_events = max_events
        self.clock = clock
        self._versions: dict[Key, VersionEvents] = {}

    def _events(self, version: int, role: str) -> VersionEvents:
        key = (version, role)
        if key not in self._versions:
            self._versions[key] = VersionEvents(self.max_events)
        return self._versions[key]

    def served(self, version: int, role: str, latency_s: float, confidences: np.ndarray) -> None:
        event = Served(latency_s, float(confidences.sum()), len(confidences))
        self._events(version, role).served.add(self.clock(), event)

    def error(self, version: int, role: str) -> None:
        self._events(version, role).errors.add(self.clock(), None)

    def compared(self, version: int, role: str, agreed: Iterable[bool]) -> None:
        now, window = self.clock(), self._events(version, role).shadow
        for each in agreed:
            window.add(now, each)

    def dropped(self, version: int, role: str) -> None:
        self._events(version, role).dropped.add(self.clock(), None)

    def feedback(self, version: int, role: str, correct: bool) -> None:
        self._events(version, role).feedback.add(self.clock(), correct)

    def snapshot(
        self, window_seconds: float, generation: int | None, expected: Iterable[Key] = ()
    ) -> RolloutFigures:
        """The figures of the last `window_seconds`; `expected` versions appear even idle."""
        now = self.clock()
        self._forget(now - self.max_window)
        for version, role in expected:
            self._events(version, role)
        start = now - window_seconds
        return RolloutFigures(
            generation=generation,
            window_seconds=window_seconds,
            versions=[events.figures(key, start) for key, events in sorted(self._versions.items())],
        )

    def _forget(self, oldest: float) -> None:
        """Drop events older than the longest window, and versions left with none."""
        for key, events in list(self._versions.items()):
            events.trim(oldest)
            if events.empty():
                del self._versions[key]
