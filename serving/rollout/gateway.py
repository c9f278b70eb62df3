"""The gateways as the rollout sees them: GET /v1/rollout (contract.rollout.RolloutFigures).

Several gateways (replicas) may be named; each answers for its own traffic (figures.py adds
them up). A gateway that does not answer is reported as such; the caller decides what that
means.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from contract.rollout import RolloutFigures

FIGURES_PATH = "/v1/rollout"
TIMEOUT_S = 3.0
POLL_S = 0.2


class Gateways:
    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = [url.rstrip("/") for url in urls]
        self._client = httpx.Client(timeout=TIMEOUT_S)

    def close(self) -> None:
        self._client.close()

    def figures(self, window_seconds: float | None = None) -> dict[str, RolloutFigures | None]:
        """Each gateway's answer, or None when it did not give one."""
        params = {} if window_seconds is None else {"window": f"{window_seconds:g}"}
        answers: dict[str, RolloutFigures | None] = {}
        for url in self.urls:
            try:
                response = self._client.get(url + FIGURES_PATH, params=params)
                response.raise_for_status()
                answers[url] = RolloutFigures.from_dict(response.json())
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                answers[url] = None
        return answers

    def wait_for_generation(self, generation: int, timeout: float) -> list[str]:
        """Waits until every gateway applies `generation` (or a later one), or `timeout`
        passes; the gateways that never confirmed it (unreachable, unmanaged or behind)."""
        deadline = time.monotonic() + timeout
        while True:
            behind = [
                url
                for url, answer in self.figures().items()
                if answer is None or answer.generation is None or answer.generation < generation
            ]
            if not behind or time.monotonic() >= deadline:
                return behind
            time.sleep(POLL_S)
