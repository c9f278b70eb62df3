"""The rollout state this worker applies: `GATEWAY_ROLLOUT_STATE`, re-read when it changes.

`refresh()` costs one stat() when nothing changed (the file is replaced atomically by
`python -m serving.rollout`, so a new inode, size or mtime says it changed). A missing,
unreadable or impossible file keeps the last good state: a request is never failed, or sent
to a version no one chose, because an operator's file is briefly wrong. Each distinct problem
is logged once, and its end too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from contract.rollout import STATE_POLL_SECONDS, RolloutState, StateError, read_state

logger = logging.getLogger("serving.gateway.rollout")

Signature = tuple[int, int, int]  # inode, size, mtime in ns


class StateWatcher:
    """The last good state read from `path` (None: unmanaged, or no good state yet)."""

    def __init__(self, path: str, on_change: Callable[[RolloutState], None] | None = None) -> None:
        self.path = path
        self.on_change = on_change
        self.state: RolloutState | None = None
        self._seen: Signature | None = None
        self._problem = ""  # the problem logged last; not logged again until it changes
        self._task: asyncio.Task[None] | None = None

    @property
    def managed(self) -> bool:
        return bool(self.path)

    def refresh(self) -> RolloutState | None:
        """Re-read the file when its stat changed; the state applied from now on."""
        if not self.managed:
            return None
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._report(f"rollout state {self.path} is missing")
            return self.state
        except OSError as exc:
            self._report(f"rollout state {self.path} cannot be read: {exc.strerror}")
            return self.state
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if signature != self._seen:
            self._seen = signature
            self._read()
        return self.state

    def _read(self) -> None:
        try:
            state = read_state(self.path)
        except StateError as exc:
            self._report(f"{exc}; keeping generation {self._generation()}")
            return
        if state is None:  # removed between stat and read
            self._seen = None
            return
        if self._problem:
            logger.info("rollout state %s readable again", self.path)
            self._problem = ""
        if state != self.state:
            logger.info(
                "rollout state: generation %d, stable %d, candidate %s (%s, %g%%)",
                state.generation,
                state.stable,
                state.candidate,
                state.mode,
                state.percent,
            )
            self.state = state
            if self.on_change is not None:
                self.on_change(state)

    def _generation(self) -> str:
        return str(self.state.generation) if self.state else "none (unmanaged until it is)"

    def _report(self, problem: str) -> None:
        if problem != self._problem:
            logger.warning("%s; the last good state stays applied", problem)
            self._problem = problem

    def start(self, interval: float = STATE_POLL_SECONDS) -> None:
        """Read now, then every `interval` seconds in a task of the running loop."""
        self.refresh()
        if self.managed:
            self._task = asyncio.get_running_loop().create_task(self._poll(interval))

    async def _poll(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self.refresh()
            except Exception:  # never let the poller die: the state would freeze silently
                logger.exception("rollout state %s: refresh failed", self.path)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
