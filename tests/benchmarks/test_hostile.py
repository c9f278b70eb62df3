"""benchmarks/hostile.py as a user meets it (its measurements need a model: make demo)."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.cli import assert_one_line_error, run_cli


def test_help_names_the_default_output() -> None:
    run = run_cli("benchmarks.hostile", "--help")
    assert run.code == 0
    assert ".run/bench/hostile" in " ".join(run.stdout.split())


def test_a_missing_model_is_one_line(tmp_path: Path) -> None:
    run = run_cli("benchmarks.hostile", "--model-base-path", str(tmp_path / "none"))
    assert_one_line_error(run, 1, "make demo")
