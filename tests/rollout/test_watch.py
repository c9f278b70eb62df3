"""The guard's loop on scripted figures and a fake clock: steps up, promotes, rolls back at
once, waits for traffic; every decision printed and audited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contract.rollout import RolloutFigures, VersionFigures
from serving.rollout import audit, guard
from serving.rollout.errors import RolloutError
from serving.rollout.operations import Rollout
from serving.rollout.watch import PROMOTED, ROLLED_BACK, Watch
from tests.rollout.fakes import FakeGateways
from tests.rollout.test_guard import GOOD, STABLE

WINDOW = 10.0
INTERVAL = 2.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def answer(generation: int, *versions: VersionFigures) -> RolloutFigures:
    return RolloutFigures(generation=generation, window_seconds=WINDOW, versions=list(versions))


def watching(rollout: Rollout, lines: list[str], steps: list[float], settle: float = 0) -> Watch:
    clock = Clock()
    return Watch(
        rollout,
        steps,
        WINDOW,
        guard.Thresholds(),
        INTERVAL,
        settle,
        clock=clock,
        sleep=clock.sleep,
        say=lines.append,
    )


def gateways(rollout: Rollout) -> FakeGateways:
    assert isinstance(rollout.gateways, FakeGateways)
    return rollout.gateways


def test_a_good_candidate_is_raised_step_by_step_then_promoted(rollout: Rollout) -> None:
    rollout.canary(2, 10)
    gateways(rollout).answers = [answer(2, STABLE, GOOD)]
    lines: list[str] = []
    assert watching(rollout, lines, [10, 50, 100]).run() == PROMOTED
    actions = [line.split(":")[0] for line in lines[1:]]
    # 10 s per step at a check every 2 s: held 2..8 s, then on at 10 s.
    assert actions == ["hold"] * 4 + ["advance"] + ["hold"] * 4 + ["promote"]
    assert "next canary 50%" in lines[5]
    state = rollout.state()
    assert (state.stable, state.candidate) == (2, None)
    by_guard = [r["action"] for r in audit.records(rollout.config_dir) if r["by"] == "guard"]
    assert by_guard == actions
    promoted = audit.last(rollout.config_dir, audit.GUARD)
    assert promoted is not None and promoted["figures"]["candidate"]["mean_confidence"] == 0.96


def test_a_bad_candidate_is_rolled_back_at_the_first_check(rollout: Rollout) -> None:
    rollout.canary(2, 10)
    bad = replace(GOOD, mean_confidence=0.31, shadow_agreed=120)
    gateways(rollout).answers = [answer(2, STABLE, bad)]
    lines: list[str] = []
    assert watching(rollout, lines, [10, 50, 100]).run() == ROLLED_BACK
    assert len(lines) == 2
    assert lines[1].startswith("rollback: version 2 (canary 10%): failed agreement 40.0% of 300")
    assert "confidence 0.310 vs stable 0.970" in lines[1]
    assert rollout.state().candidate is None
    record = audit.last(rollout.config_dir, audit.GUARD)
    assert record is not None and record["action"] == "rollback"
    assert [c["rule"] for c in record["checks"] if c["ok"] is False] == ["agreement", "confidence"]


def test_it_waits_for_traffic_before_judging(rollout: Rollout) -> None:
    rollout.shadow(2)
    quiet = replace(GOOD, role="shadow", requests=3, shadow_compared=3, shadow_agreed=0)
    busy = replace(GOOD, role="shadow", mean_confidence=0.1)
    gateways(rollout).answers = [answer(2, STABLE, quiet), answer(2, STABLE, busy)]
    lines: list[str] = []
    assert watching(rollout, lines, [10, 100]).run() == ROLLED_BACK
    assert lines[1].startswith("wait: version 2 (shadow): waiting for traffic")
    assert lines[2].startswith("rollback:")


def test_no_gateway_answering_is_waiting_not_judging(rollout: Rollout) -> None:
    rollout.canary(2, 10)
    gateways(rollout).answers = []  # none
    lines: list[str] = []
    watch = watching(rollout, lines, [10, 100])
    calls = 0

    def stop_after_three(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls > 3:
            rollout.rollback()  # an operator steps in

    watch.sleep = stop_after_three
    with pytest.raises(RolloutError, match="the candidate changed under the guard"):
        watch.run()
    assert all("no answer from http://gateway" in line for line in lines[1:])


def test_there_must_be_a_candidate(rollout: Rollout) -> None:
    with pytest.raises(RolloutError, match="no candidate to watch"):
        watching(rollout, [], [10, 100]).run()


def test_the_start_of_each_step_is_not_judged(rollout: Rollout) -> None:
    rollout.canary(2, 10)
    gateways(rollout).answers = [answer(2, STABLE, GOOD)]
    lines: list[str] = []
    assert watching(rollout, lines, [10, 100], settle=4).run() == PROMOTED
    # Checks every 2 s; the first 4 s not judged; then windows since the settling ended.
    assert gateways(rollout).windows[:5] == [2, 4, 6, 8, 10]
    assert [line.split(":")[0] for line in lines[1:]] == ["hold"] * 4 + ["promote"]
    assert "after 4 s of settling" in lines[0]
