"""`python -m training` as a user meets it: `--help` and mistakes answer at once, without
TensorFlow, in one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.fixtures.cli import assert_one_line_error, run_cli
from training.cli import main


def test_help_does_not_import_tensorflow() -> None:
    run = run_cli("training", "--help")
    assert run.code == 0 and "--run-dir" in run.stdout
    assert not run.imported_tensorflow


def test_a_bad_argument_is_refused_without_tensorflow() -> None:
    run = run_cli("training", "--run-dir", "r", "--epochs", "zero")
    assert run.code == 2 and "invalid int value: 'zero'" in run.stderr_lines[-1]
    assert not any("Traceback" in line for line in run.stderr_lines)
    assert not run.imported_tensorflow


def test_a_run_dir_inside_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file")
    run = run_cli("training", "--run-dir", str(tmp_path / "notes" / "run"))
    assert_one_line_error(run, 1, "is a file, not a directory")
    assert not run.imported_tensorflow


def test_a_run_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("a file")
    run = run_cli("training", "--run-dir", str(tmp_path / "run"))
    assert_one_line_error(run, 1, f"{tmp_path / 'run'} is a file")


def test_a_missing_data_dir_is_one_line(tmp_path: Path) -> None:
    run = run_cli("training", "--run-dir", str(tmp_path / "r"), "--data-dir", "no-such-dir")
    assert_one_line_error(run, 1, "no-such-dir: MNIST data directory not found")
    assert not (tmp_path / "r").exists() and not run.imported_tensorflow


def test_without_tensorflow_it_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` fails
    assert main(["--run-dir", str(tmp_path / "run"), "--dataset", "subset"]) == 1
    assert capsys.readouterr().err == "error: tensorflow is not installed: pip install '.[tf]'\n"


@pytest.mark.parametrize(
    ("args", "augment"),
    [
        (["--model", "cnn"], True),
        (["--model", "cnn", "--no-augment"], False),
        (["--model", "mlp"], False),
        (["--model", "linear", "--augment"], True),
    ],
)
def test_augmentation_is_on_for_the_cnn_unless_told(args: list[str], augment: bool) -> None:
    from training.cli import config_from, parser

    p = parser()
    config = config_from(p.parse_args([*args, "--run-dir", "r"]), p)
    assert config.augment is augment


def test_damaged_digits_are_on_by_default_and_never_negative(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from training.cli import config_from, parser
    from training.config import CORRUPTED_DEFAULT

    p = parser()
    assert config_from(p.parse_args(["--run-dir", "r"]), p).corrupted == CORRUPTED_DEFAULT > 0
    assert config_from(p.parse_args(["--run-dir", "r", "--corrupted", "0"]), p).corrupted == 0
    with pytest.raises(SystemExit):
        config_from(p.parse_args(["--run-dir", "r", "--corrupted", "-1"]), p)
    assert "--corrupted must be non-negative, got -1" in capsys.readouterr().err
