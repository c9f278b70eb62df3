"""benchmarks/shadow_latency.py as a user meets it (its measurements need a model: make demo),
and the two rollout states that are the only difference between its gateways."""

from __future__ import annotations

from pathlib import Path

from benchmarks.shadow_latency import model_config, states, two_versions
from contract.rollout import read_state
from tests.fixtures.cli import assert_one_line_error, run_cli


def test_help_names_the_default_output() -> None:
    run = run_cli("benchmarks.shadow_latency", "--help")
    assert run.code == 0
    assert ".run/bench/shadow_latency" in " ".join(run.stdout.split())
    assert not run.imported_tensorflow


def test_a_missing_model_is_one_line(tmp_path: Path) -> None:
    run = run_cli("benchmarks.shadow_latency", "--model-base-path", str(tmp_path / "none"))
    assert_one_line_error(run, 1, "make demo")
    assert not run.imported_tensorflow


def test_one_published_version_is_served_as_stable_and_candidate(tmp_path: Path) -> None:
    (tmp_path / "models" / "3").mkdir(parents=True)
    base, chosen = two_versions(tmp_path / "models", tmp_path / "work")
    assert chosen == [3, 3]
    assert {p.name: p.resolve().name for p in base.iterdir()} == {"1": "3", "2": "3"}
    config = model_config(base)
    assert 'key: "stable" value: 1' in config and 'key: "canary" value: 2' in config


def test_the_gateways_differ_only_by_the_candidate(tmp_path: Path) -> None:
    off, on = (read_state(p) for p in states(tmp_path).values())
    assert off is not None and on is not None
    assert (off.stable, off.candidate) == (on.stable, None)
    assert (on.candidate, on.mode) == (2, "shadow")
