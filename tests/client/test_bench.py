"""`python -m client bench` (bench.py) on a real gateway or model server: the levels it
measures, the JSON and plot it writes, and a target that refuses every connection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from processes.ports import free_port
from tests.client.helpers import run_client

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
        "--rate", "30", "--warmup", "0.5", "--out", str(out),
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
        "--concurrency", "2", "--duration", "1", "--rate", "0", "--warmup", "0", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [level] = read_bench(out)["levels"]
    assert level["errors"] == 0 and level["throughput_rps"] > 0


def test_bench_counts_every_failure_when_nothing_listens(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    url = f"http://127.0.0.1:{free_port()}"
    result = run_client(
        "bench", "--url", url, "--concurrency", "2", "--duration", "0.5", "--rate", "0",
        "--warmup", "0", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 1
    [level] = read_bench(out)["levels"]
    assert level["requests"] > 0 and level["errors"] == level["requests"]
    assert level["p50_ms"] is None
    assert any("ConnectionRefusedError" in kind for kind in level["error_kinds"])
