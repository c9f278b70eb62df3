"""`python -m client grpc` (grpc_predict.py) straight to a real model server, and its
messages when the server is down or a version unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from processes.ports import free_port
from tests.client.helpers import recognized, run_client, statuses, table_rows


@pytest.mark.integration
def test_grpc_predicts_without_the_gateway(model_server: Any, samples: list[Path]) -> None:
    result = run_client("grpc", "--server", model_server.grpc_target, *map(str, samples))
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert recognized(rows, samples) >= 18
    assert {row[2] for row in rows.values()} == {"1"}
    kinds = ("digit", "uncertain: ", "number (", "not a digit: ")  # judged as the gateway does
    assert all(row[3].startswith(kinds) for row in rows.values()), rows
    said = statuses(result.stdout)
    assert len(said) == len(samples) and said.count("digit") >= 15, said


@pytest.mark.integration
def test_grpc_reports_bad_images_and_unknown_versions(
    model_server: Any, samples: list[Path], text: Path
) -> None:
    result = run_client("grpc", "--server", model_server.grpc_target, str(text), str(samples[2]))
    assert result.returncode == 1
    rows = table_rows(result.stdout)
    assert rows["notes.png"][4].startswith("error:") and rows[samples[2].name][0].isdigit()
    missing = run_client(
        "grpc", "--server", model_server.grpc_target, "--version", "99", str(samples[2])
    )
    assert missing.returncode == 2 and "NOT_FOUND" in missing.stderr


def test_grpc_when_the_model_server_is_down_says_so(samples: list[Path]) -> None:
    server = f"127.0.0.1:{free_port()}"
    result = run_client("grpc", "--server", server, "--timeout", "3", str(samples[0]))
    assert result.returncode == 2
    assert f"cannot reach the model server at {server}" in result.stderr
