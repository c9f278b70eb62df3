"""A fake load target for the load generator's tests: a coroutine that sleeps, or fails."""

from __future__ import annotations

import asyncio


class FakeTarget:
    """Answers after `delay` seconds; every `fail_every`-th call raises. Records its calls."""

    def __init__(self, delay: float, fail_every: int = 0, log: list[str] | None = None) -> None:
        self.delay, self.fail_every = delay, fail_every
        self.calls = self.in_flight = self.peak = 0
        self.log = log  # when given, the target's name is appended at each call
        self.name = ""
        self.closed = False

    async def call(self) -> None:
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.log is not None:
            self.log.append(self.name)
        try:
            await asyncio.sleep(self.delay)
            if self.fail_every and self.calls % self.fail_every == 0:
                raise RuntimeError("boom")
        finally:
            self.in_flight -= 1

    async def close(self) -> None:
        self.closed = True
