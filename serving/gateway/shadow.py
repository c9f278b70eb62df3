"""Shadow traffic: the candidate answers a copy of stable's request, and nobody waits for it.

After stable has answered, the same preprocessed tensor goes to the label `canary` in a
task of its own; the client's answer is not held for it. At most `max_in_flight` copies are
out at once: beyond that a copy is dropped and counted, so a slow or hung candidate costs
the gateway a bounded number of tasks and nothing else. The candidate's answers are compared
with stable's image by image (argmax); disagreements are kept, the latest `kept` of them,
with the 28×28 input, for a person to review at GET /rollout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from contract.rollout import CANARY
from serving.gateway.errors import GatewayError
from serving.gateway.predictor import PredictorClient, PredictResult, VersionSelector
from serving.gateway.version_metrics import VersionRecorder

logger = logging.getLogger("serving.gateway.shadow")

CANDIDATE = VersionSelector(label=CANARY)


@dataclass(frozen=True)
class Answer:
    version: int
    digit: int
    confidence: float


@dataclass(frozen=True)
class Disagreement:
    request_id: str
    index: int  # which image of the request
    time: str  # ISO 8601, UTC
    pixels: np.ndarray  # uint8 [28, 28]: the model input, 0..255, white ink on black
    stable: Answer
    candidate: Answer


def answers(result: PredictResult) -> list[Answer]:
    digits = result.probabilities.argmax(axis=1)
    return [
        Answer(result.model_version, int(d), round(float(p[d]), 4))
        for d, p in zip(digits, result.probabilities, strict=True)
    ]


def pixels(image: np.ndarray) -> np.ndarray:
    """A [28, 28, 1] float input as bytes: a quarter of float32's memory, all a person sees."""
    return np.rint(image[..., 0] * 255).astype(np.uint8)


class Disagreements:
    """The latest `kept` disagreements, newest last."""

    def __init__(self, kept: int) -> None:
        self._kept: deque[Disagreement] = deque(maxlen=kept)
        self.seen = 0  # every disagreement since the start, kept or not

    def add(self, disagreement: Disagreement) -> None:
        self._kept.append(disagreement)
        self.seen += 1

    def latest(self, limit: int | None = None) -> list[Disagreement]:
        newest_first = list(reversed(self._kept))
        return newest_first[:limit] if limit is not None else newest_first

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def capacity(self) -> int:
        return self._kept.maxlen or 0


class Shadow:
    """Sends copies to the candidate and records what came back."""

    def __init__(
        self,
        predictor: PredictorClient,
        recorder: VersionRecorder,
        disagreements: Disagreements,
        max_in_flight: int,
    ) -> None:
        self.predictor = predictor
        self.recorder = recorder
        self.disagreements = disagreements
        self.max_in_flight = max_in_flight
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def send(
        self, batch: np.ndarray, stable: PredictResult, request_id: str, candidate: int, role: str
    ) -> bool:
        """Copy the request to the candidate (version `candidate`, in `role`) unless too many
        copies are out; returns at once, whether sent."""
        if len(self._tasks) >= self.max_in_flight:
            self.recorder.shadow_dropped(candidate, role)
            return False
        task = asyncio.get_running_loop().create_task(
            self._compare(batch, stable, request_id, candidate, role)
        )
        self._tasks.add(task)  # a reference, or the task could be collected mid-call
        task.add_done_callback(self._tasks.discard)
        return True

    async def _compare(
        self, batch: np.ndarray, stable: PredictResult, request_id: str, candidate: int, role: str
    ) -> None:
        start = time.perf_counter()
        try:
            result = await self.predictor.predict(batch, CANDIDATE, request_id)
        except GatewayError as exc:
            self.recorder.shadow_failed(candidate, role)
            logger.debug("shadow copy of %s failed: %s", request_id, exc.detail or exc.message)
            return
        except Exception:  # a task's exception is otherwise only seen at collection
            self.recorder.shadow_failed(candidate, role)
            logger.exception("shadow copy of %s failed", request_id)
            return
        seconds = time.perf_counter() - start
        theirs, ours = answers(result), answers(stable)
        confidences = np.array([a.confidence for a in theirs])
        self.recorder.served(result.model_version, role, seconds, confidences)
        agreed = [a.digit == b.digit for a, b in zip(ours, theirs, strict=True)]
        self.recorder.compared(result.model_version, role, agreed)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for index, same in enumerate(agreed):
            if not same:
                self.disagreements.add(
                    Disagreement(
                        request_id, index, now, pixels(batch[index]), ours[index], theirs[index]
                    )
                )

    async def close(self) -> None:
        """Cancel the copies still out (shutdown: nobody is waiting for them)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
