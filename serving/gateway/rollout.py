"""The gateway's side of a rollout: where an unpinned request goes, and what is recorded
after it.

With a state applied (rollout_state.py), an unpinned /predict goes to the label `canary` when
the mode is canary and the client's sticky bucket falls in the percent
(contract.rollout.goes_to_canary), else to `stable`. `?version=` and `?label=` pin, and are
not rollout traffic. After stable has answered, while the state has a candidate, a copy goes
to the candidate (shadow.py). Every answer is recorded by version and role
(version_metrics.py) and remembered for POST /feedback (feedback.py). Without a state file
(GATEWAY_ROLLOUT_STATE empty) nothing changes: the highest available version answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from contract.rollout import CANARY, STABLE, RolloutFigures, RolloutState, goes_to_canary
from reader.judge import Answer
from serving.gateway.errors import ModelNotFound, NoServableVersion, UpstreamError
from serving.gateway.feedback import PredictionMemory
from serving.gateway.figures import Figures, Key
from serving.gateway.instruments import ROLLOUT_GENERATION
from serving.gateway.predictor import PredictorClient, PredictResult, VersionSelector
from serving.gateway.rollout_state import StateWatcher
from serving.gateway.settings import Settings
from serving.gateway.shadow import Disagreements, Shadow
from serving.gateway.version_metrics import PINNED, UNMANAGED, VersionRecorder

Result = TypeVar("Result")


@dataclass(frozen=True)
class Route:
    """Where one request goes: the selector sent, the role, and (for rollout traffic) the
    version the state names for that role, on which a failure is counted."""

    selector: VersionSelector
    role: str
    version: int | None = None
    state: RolloutState | None = None  # the state that decided, for the shadow copy

    @property
    def rollout(self) -> bool:
        return self.version is not None


def pinned(selector: VersionSelector) -> bool:
    return selector.version is not None or selector.label is not None


class Rollout:
    """One per worker, made in the app's lifespan."""

    def __init__(self, settings: Settings, predictor: PredictorClient) -> None:
        self.watcher = StateWatcher(settings.rollout_state, self._show_generation)
        self.figures = Figures(settings.figures_max_window_seconds, settings.figures_max_events)
        self.recorder = VersionRecorder(self.figures)
        self.disagreements = Disagreements(settings.disagreements_kept)
        self.shadow = Shadow(
            predictor, self.recorder, self.disagreements, settings.shadow_max_in_flight
        )
        self.memory = PredictionMemory(settings.feedback_memory)

    @property
    def state(self) -> RolloutState | None:
        return self.watcher.state

    def needs_client_id(self, selector: VersionSelector) -> bool:
        """Only a split needs to know who is asking."""
        return not pinned(selector) and self.state is not None and self.state.mode == CANARY

    def route(self, selector: VersionSelector, client_id: str = "") -> Route:
        if pinned(selector):
            return Route(selector, PINNED)
        state = self.state
        if state is None:
            return Route(selector, UNMANAGED)
        candidate = state.candidate if state.mode == CANARY else None
        if candidate is not None and goes_to_canary(client_id, state.percent):
            return Route(VersionSelector(label=CANARY), CANARY, candidate, state)
        return Route(VersionSelector(label=STABLE), STABLE, state.stable, state)

    async def serve(
        self, route: Route, answer: Callable[[Route], Awaitable[Result]]
    ) -> tuple[Result, Route]:
        """`answer(route)`, counting a failure on the routed version; the route that answered.

        A label the rollout chose (not the client) that the model server does not know is
        an outage, 503, not the client's 404; for `canary`, stable answers instead.
        """
        while True:
            try:
                return await answer(route), route
            except UpstreamError as exc:
                self.failed(route)
                if not (route.rollout and isinstance(exc, ModelNotFound)):
                    raise
                fallback = self.fallback(route)
                if fallback is None:
                    raise NoServableVersion(
                        f"no version labelled {route.role!r} can be served right now",
                        exc.detail,
                    ) from exc
                route = fallback

    def fallback(self, route: Route) -> Route | None:
        """Where a canary request goes when the label `canary` is gone (a rollback the state
        file has not caught up with): stable, rather than an error for the client."""
        if route.role != CANARY or route.state is None:
            return None
        return Route(VersionSelector(label=STABLE), STABLE, route.state.stable, route.state)

    def answered(
        self,
        route: Route,
        batch: np.ndarray,
        result: PredictResult,
        seconds: float,
        request_id: str,
        answers: Sequence[Answer],
    ) -> None:
        """After the model server answered: record, remember, and copy to the candidate.

        `batch` holds every digit read, of all images; `answers` one per image."""
        version, probabilities = result.model_version, result.probabilities
        digits = probabilities.argmax(axis=1)
        confidences = probabilities[np.arange(len(digits)), digits]
        self.recorder.served(version, route.role, seconds, confidences)
        self.memory.remember(request_id, version, route.role, answers)
        state = route.state
        if route.role == STABLE and state is not None and state.candidate is not None:
            candidate_role = state.role(state.candidate) or CANARY
            self.shadow.send(batch, result, request_id, state.candidate, candidate_role)

    def failed(self, route: Route) -> None:
        if route.version is not None:
            self.recorder.error(route.version, route.role)

    def feedback(self, version: int, role: str, correct: bool) -> None:
        self.recorder.feedback(version, role, correct)

    def figures_over(self, window_seconds: float) -> RolloutFigures:
        state = self.state
        return self.figures.snapshot(
            window_seconds, state.generation if state else None, self._expected(state)
        )

    @staticmethod
    def _expected(state: RolloutState | None) -> list[Key]:
        """The versions the state names: listed even before any traffic reached them."""
        if state is None:
            return []
        expected = [(state.stable, STABLE)]
        if state.candidate is not None:
            expected.append((state.candidate, state.role(state.candidate) or CANARY))
        return expected

    def start(self) -> None:
        ROLLOUT_GENERATION.set(-1)
        self.watcher.start()

    @staticmethod
    def _show_generation(state: RolloutState) -> None:
        ROLLOUT_GENERATION.set(state.generation)

    async def close(self) -> None:
        await self.watcher.stop()
        await self.shadow.close()
