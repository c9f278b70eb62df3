"""The benchmarks as a user meets them: each says where it writes (under .run/bench/ unless
--output), and a missing model or a target that is down is one line, nothing measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from processes.ports import free_port
from tests.fixtures.cli import assert_one_line_error, run_cli

BENCHMARKS = [
    "end_to_end",
    "model_server",
    "gateway_footprint",
    "upload_accuracy",
    "pen_widths",
    "mnist_c",
    "spaced_numbers",
    "other_writers",
]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_help_names_the_default_output_under_run_bench(name: str) -> None:
    run = run_cli(f"benchmarks.{name}", "--help")
    assert run.code == 0
    assert f".run/bench/{name}" in " ".join(run.stdout.split())
    assert not run.imported_tensorflow


def test_digit_scores_without_a_model_is_one_line(tmp_path: Path) -> None:
    run = run_cli("benchmarks.digit_scores", "--model-dir", str(tmp_path))
    assert_one_line_error(run, 1, "make demo")
    assert not run.imported_tensorflow


@pytest.mark.parametrize("name", ["end_to_end", "model_server"])
def test_a_missing_model_is_one_line(name: str, tmp_path: Path) -> None:
    run = run_cli(f"benchmarks.{name}", "--model-base-path", str(tmp_path / "none"))
    assert_one_line_error(run, 1, "make demo")
    assert not run.imported_tensorflow


@pytest.mark.parametrize(
    ("name", "flag", "address"),
    [
        ("gateway_footprint", "--model-server", "127.0.0.1:{port}"),
        ("upload_accuracy", "--gateway", "http://127.0.0.1:{port}"),
    ],
)
def test_a_target_that_is_down_is_one_line(
    name: str, flag: str, address: str, tmp_path: Path
) -> None:
    where = address.format(port=free_port())
    run = run_cli(f"benchmarks.{name}", flag, where, "--output", str(tmp_path / "out"))
    assert_one_line_error(run, 2, f"nothing answers at {flag} {where}")
    assert list(tmp_path.iterdir()) == []


def test_no_benchmark_shadows_a_standard_library_module() -> None:
    """The README runs some benchmarks as scripts (`python benchmarks/upload_accuracy.py`),
    which puts benchmarks/ first on sys.path: a module named like one of the standard
    library's (numbers.py) would be imported in its place, by numpy among others."""
    import sys

    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    names = {path.stem for path in folder.glob("*.py")}
    assert names & sys.stdlib_module_names == set()


def test_a_benchmark_runs_as_a_script() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    script = [sys.executable, "benchmarks/upload_accuracy.py", "--help"]
    result = subprocess.run(script, cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--model-dir" in result.stdout
