"""Several systems measured in interleaved rounds (session.py), with their servers' CPU."""

from __future__ import annotations

import itertools

import pytest

from client.session import System, run_systems
from tests.client.fakes import FakeTarget


def test_rounds_interleave_the_systems_and_add_up_their_slices() -> None:
    log: list[str] = []
    targets = {name: FakeTarget(delay=0.005, log=log) for name in ("a", "b")}
    for name, target in targets.items():
        target.name = name
    clock = itertools.count()
    systems = [
        System("a", lambda: targets["a"], server_cpu=lambda: {"server": 0.05 * next(clock)}),
        System("b", lambda: targets["b"]),
    ]
    results = run_systems(systems, [("closed", 1), ("closed", 2)], 0.2, warmup=0, rounds=2)

    runs = [name for name, _ in itertools.groupby(log)]
    assert runs == ["a", "b", "a", "b"] * 2  # two levels, each in two rounds: a b a b
    assert [r.concurrency for r in results["a"]] == [1, 2]
    for result in results["a"]:
        # the probe advances 0.05 s per read, read around each slice: 0.1 s per level
        expected = 100 * 0.1 / result.duration_s
        assert result.server_cpu_percent["server"] == pytest.approx(expected, abs=0.1)
    assert all(r.server_cpu_percent == {} for r in results["b"])
    assert all(target.closed for target in targets.values())
