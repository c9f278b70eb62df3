"""`python -m client` as a user meets it: `--help` without TensorFlow, and each mistake one
line with its exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from processes.ports import free_port
from tests.fixtures.cli import assert_one_line_error, run_cli


@pytest.mark.parametrize("command", [[], ["predict"], ["grpc"], ["samples"], ["bench"]])
def test_help_does_not_import_tensorflow(command: list[str]) -> None:
    run = run_cli("client", *command, "--help")
    assert run.code == 0 and "usage: python -m client" in run.stdout
    assert not run.imported_tensorflow


@pytest.mark.parametrize("command", ["predict", "grpc"])
def test_a_missing_image_is_one_line_before_anything_is_sent(command: str) -> None:
    address = f"127.0.0.1:{free_port()}"  # nothing listens: the file is checked first
    where = ["--url", f"http://{address}"] if command == "predict" else ["--server", address]
    run = run_cli("client", command, *where, "no-such.png")
    assert_one_line_error(run, 1, "cannot read no-such.png: No such file or directory")


def test_samples_into_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file")
    run = run_cli("client", "samples", "--out", str(tmp_path / "out" / "digits"))
    assert_one_line_error(run, 1, "cannot write into")


def test_bench_with_a_missing_image_is_one_line() -> None:
    run = run_cli("client", "bench", "--image", "no-such.png")
    assert_one_line_error(run, 1, "cannot read no-such.png")


def test_bench_with_a_malformed_url_is_one_line() -> None:
    run = run_cli("client", "bench", "--url", "localhost:8000")
    assert_one_line_error(run, 1, "expected an http://host:port URL")


def test_bench_grpc_with_a_file_that_is_no_image_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("not an image")
    run = run_cli("client", "bench", "--target", "grpc", "--image", str(tmp_path / "notes.png"))
    assert_one_line_error(run, 1, "notes.png: not an image")
