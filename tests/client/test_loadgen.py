"""The load generator (loadgen.py): closed and open loops and their statistics, run as
`bench` runs them (session.run_systems)."""

from __future__ import annotations

import math

import pytest

from client.loadgen import LevelResult, Recorder, TargetDown, summarize
from client.report import _finite
from client.session import System, run_systems
from tests.client.fakes import FakeTarget


def measure(target: FakeTarget, mode: str, level: float, duration: float) -> LevelResult:
    """One level on `target`, without warm-up."""
    system = System("fake", lambda: target)
    [result] = run_systems([system], [(mode, level)], duration, warmup=0)["fake"]
    assert target.closed
    return result


def test_closed_loop_keeps_exactly_the_concurrency_in_flight() -> None:
    target = FakeTarget(delay=0.01)
    result = measure(target, "closed", 4, duration=0.3)
    assert target.peak == 4
    assert result.concurrency == 4 and result.errors == 0
    # 4 workers × 0.3 s / 10 ms each: at most 120 calls, plus the 4 that end past the
    # deadline; fewer when the CPU is busy with other work, but never a single round only.
    assert 8 <= result.requests <= 124
    assert result.p50_ms >= 10.0
    assert result.throughput_rps == pytest.approx(result.requests / result.duration_s, rel=0.01)


def test_errors_are_counted_by_kind_and_not_timed() -> None:
    target = FakeTarget(delay=0.001, fail_every=3)
    result = measure(target, "closed", 2, duration=0.2)
    assert result.errors == pytest.approx(result.requests / 3, abs=2)
    assert result.error_kinds == {"RuntimeError: boom": result.errors}
    assert result.throughput_rps < result.requests / result.duration_s


def test_open_loop_sends_at_the_rate_whatever_the_latency() -> None:
    # 50 ms per call at 200/s needs ~10 in flight: a closed loop would never do that.
    target = FakeTarget(delay=0.05)
    result = measure(target, "open", 200, duration=1.0)
    assert result.rate == 200 and result.concurrency is None
    assert 150 <= result.requests <= 250
    assert target.peak >= 5


def test_summary_of_a_level_without_success_has_no_latencies() -> None:
    recorder = Recorder()
    recorder.errors["HttpError: HTTP 503"] = 7
    recorder.wall_s, recorder.cpu_s = 1.0, 0.1
    result = summarize("closed", 1, recorder)
    assert result.requests == 7 and result.errors == 7 and result.throughput_rps == 0
    assert math.isnan(result.p50_ms)
    assert _finite(result.to_json())["p50_ms"] is None  # JSON has no NaN
    assert result.client_cpu_percent == 10.0


class DownAfter(FakeTarget):
    """Answers `answered` calls, then refuses every connection."""

    def __init__(self, answered: int) -> None:
        super().__init__(delay=0.001)
        self.answered = answered

    async def call(self) -> None:
        await super().call()
        if self.calls > self.answered:
            raise TargetDown("nothing answers")


@pytest.mark.parametrize(("mode", "level"), [("closed", 1), ("open", 500)])
def test_a_target_that_goes_down_stops_the_run_at_once(mode: str, level: float) -> None:
    target = DownAfter(answered=5)
    system = System("fake", lambda: target)
    with pytest.raises(TargetDown, match="nothing answers"):
        run_systems([system], [(mode, level)], duration=5.0, warmup=0)
    # One refused call ends it: a closed loop of one makes no other; an open loop at 500/s
    # may have sent the next few arrivals while the refusal was under way.
    assert target.calls <= (6 if mode == "closed" else 20)
    assert target.closed
