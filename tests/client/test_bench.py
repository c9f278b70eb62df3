"""`python -m client bench` (bench.py) on a real gateway or model server: the levels it
measures, the JSON and plot it writes, where it writes by default, and a target that is
down or refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from processes.ports import free_port
from tests.client.helpers import run_client
from tests.fixtures.cli import assert_one_line_error, run_cli
from tests.fixtures.gateway import running_gateway
from tests.fixtures.models import REPO_ROOT

LEVEL_FIELDS = {
    "mode",
    "concurrency",
    "rate",
    "duration_s",
    "requests",
    "errors",
    "throughput_rps",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "mean_ms",
    "max_ms",
    "client_cpu_percent",
    "error_kinds",
}


def read_bench(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(out.with_suffix(".json").read_text())
    with Image.open(out.with_suffix(".png")) as plot:
        assert plot.format == "PNG" and plot.size[0] > 300
    return document


@pytest.mark.integration
def test_bench_gateway_short_load(gateway: Any, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = run_client(
        "bench", "--url", gateway.url, "--concurrency", "1,4", "--duration", "1",
        "--rate", "30", "--warmup", "0.5", "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = read_bench(out)
    assert document["target"] == "gateway" and document["environment"]["cpus"] >= 1
    levels = document["levels"]
    assert [(lv["mode"], lv["concurrency"], lv["rate"]) for lv in levels] == [
        ("closed", 1, None),
        ("closed", 4, None),
        ("open", None, 30.0),
    ]
    for level in levels:
        assert set(level) >= LEVEL_FIELDS
        assert level["errors"] == 0 and level["requests"] > 0
        assert 0 < level["p50_ms"] <= level["p90_ms"] <= level["p99_ms"] <= level["max_ms"]
    assert levels[2]["requests"] == pytest.approx(30, abs=20)  # Poisson: 30 expected
    assert "p99 ms" in result.stdout and "c=4" in result.stdout  # the printed table


@pytest.mark.integration
def test_bench_grpc_target(model_server: Any, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = run_client(
        "bench", "--target", "grpc", "--server", model_server.grpc_target,
        "--concurrency", "2", "--duration", "1", "--rate", "0", "--warmup", "0",
        "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [level] = read_bench(out)["levels"]
    assert level["errors"] == 0 and level["throughput_rps"] > 0


@pytest.mark.parametrize("target", ["gateway", "grpc"])
def test_bench_stops_at_once_when_nothing_listens(tmp_path: Path, target: str) -> None:
    address = f"127.0.0.1:{free_port()}"
    where = ["--url", f"http://{address}"] if target == "gateway" else ["--server", address]
    run = run_cli(
        "client", "bench", "--target", target, *where, "--duration", "30",
        "--output", str(tmp_path / "bench"),
    )  # fmt: skip
    assert_one_line_error(
        run, 2, f"cannot reach the {'gateway' if target == 'gateway' else 'model server'} at"
    )
    assert "make demo" in run.stderr_lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing measured, nothing written


@pytest.mark.integration
def test_bench_writes_under_run_bench_by_default(gateway: Any, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "client", "bench", "--url", gateway.url, "--concurrency", "1",
         "--duration", "0.3", "--rate", "0", "--warmup", "0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".run" / "bench" / "bench.json").is_file()
    assert "c=1: " in result.stderr  # progress


@pytest.mark.integration
def test_bench_stops_when_the_gateway_refuses_the_first_request(tmp_path: Path) -> None:
    """A gateway whose model server is down answers 503: nothing worth measuring."""
    with running_gateway(f"127.0.0.1:{free_port()}", wait_for="/healthz") as lone:
        run = run_cli("client", "bench", "--url", lone.url, "--output", str(tmp_path / "b"))
    assert_one_line_error(run, 1, f"the gateway at {lone.url}/predict refused a first request")
    assert "HTTP 503" in run.stderr_lines[0] and list(tmp_path.iterdir()) == []
