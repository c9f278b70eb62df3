"""`python -m export` as a user meets it: `--help` and mistakes answer at once, without
TensorFlow, in one line."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.cli import assert_one_line_error, run_cli


def test_help_does_not_import_tensorflow() -> None:
    run = run_cli("export", "--help")
    assert run.code == 0 and "--model-base-path" in run.stdout
    assert not run.imported_tensorflow


def test_a_missing_argument_is_refused_without_tensorflow() -> None:
    run = run_cli("export", "--model-base-path", "models")
    assert run.code == 2 and "--run-dir is required" in run.stderr_lines[-1]
    assert not run.imported_tensorflow


def test_a_missing_run_dir_is_one_line(tmp_path: Path) -> None:
    run = run_cli("export", "--run-dir", "no-such-run", "--model-base-path", str(tmp_path))
    assert_one_line_error(run, 1, "no-such-run: run directory not found")
    assert not run.imported_tensorflow


def test_an_incomplete_run_dir_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    run = run_cli("export", "--run-dir", str(tmp_path / "run"), "--model-base-path", "m")
    assert_one_line_error(run, 1, "run.json: missing")


def test_a_base_path_inside_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "models").write_text("a file")
    base = tmp_path / "models" / "mnist"
    run = run_cli("export", "--run-dir", str(tmp_path), "--model-base-path", str(base))
    assert_one_line_error(run, 1, "models is a file, not a directory")


def test_listing_a_base_path_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    run = run_cli("export", "--list", "--model-base-path", str(tmp_path / "nothing"))
    assert_one_line_error(run, 1, "nothing: no such directory")
