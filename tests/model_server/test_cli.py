"""`python -m serving.model_server` as a user meets it: `--help` and usage mistakes answer at
once, without TensorFlow, in one line; a missing model path is said once, without chatter."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from processes import servers
from tests.fixtures.cli import run_cli


def test_help_does_not_import_tensorflow() -> None:
    run = run_cli("serving.model_server", "--help")
    assert run.code == 0 and "--model_base_path" in run.stdout
    assert not run.imported_tensorflow


def test_an_unknown_flag_is_one_line_without_tensorflow() -> None:
    run = run_cli("serving.model_server", "--bogus")
    assert run.code == 2 and "unrecognized arguments: --bogus" in run.stderr_lines[-1]
    assert not run.imported_tensorflow


@pytest.mark.integration
def test_a_missing_model_path_is_said_once_and_tensorflow_starts_quietly(tmp_path: Path) -> None:
    with servers.running_model_server(
        tmp_path / "nowhere", "--file_system_poll_wait_seconds=0.05", wait_for_model=None
    ) as server:
        time.sleep(1.0)  # about 20 polls of the missing path
        log = server.log()
    assert log.count("cannot list base path") == 1, log
    assert "cuda" not in log.lower() and "oneDNN" not in log, log
