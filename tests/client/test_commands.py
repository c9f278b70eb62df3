"""The `predict`, `grpc` and `bench` commands against real services on loopback, and their
messages when a service is down or refuses a request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from client.samples import write_samples
from tests.client.helpers import run_client, table_rows, true_label
from tests.fixtures.servers import free_port

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


@pytest.fixture
def text(tmp_path: Path) -> Path:
    """A file named like a PNG that holds text: the image every command must refuse."""
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    return path


def recognized(rows: dict[str, list[str]], files: list[Path]) -> int:
    return sum(rows[path.name][0] == str(true_label(path)) for path in files)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Ten plain digits and ten on paper: real held-out MNIST digits."""
    out = tmp_path_factory.mktemp("samples")
    return write_samples(out / "plain", 10, "plain") + write_samples(out / "paper", 10, "paper")


@pytest.mark.integration
def test_predict_prints_the_digit_and_version_of_each_image(
    gateway: Any, samples: list[Path]
) -> None:
    result = run_client("predict", "--url", gateway.url, *map(str, samples))
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert set(rows) == {path.name for path in samples}
    assert recognized(rows, samples) >= 18  # samples output is recognized, in both styles
    assert {row[2] for row in rows.values()} == {"1"}  # the version that answered
    assert all(0.0 < float(row[1]) <= 1.0 for row in rows.values())


@pytest.mark.integration
def test_predict_json_gives_the_raw_answers(gateway: Any, samples: list[Path]) -> None:
    image = str(samples[3])
    result = run_client("predict", "--url", gateway.url, "--json", "--version", "1", image)
    assert result.returncode == 0, result.stderr
    [answer] = json.loads(result.stdout)
    assert answer["file"] == image and answer["model_version"] == 1
    [prediction] = answer["predictions"]
    probabilities = prediction["probabilities"]
    assert len(probabilities) == 10 and sum(probabilities) == pytest.approx(1.0, abs=1e-3)
    assert prediction["digit"] == probabilities.index(max(probabilities))


@pytest.mark.integration
def test_predict_reports_each_refused_image_and_goes_on(
    gateway: Any, samples: list[Path], text: Path, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    result = run_client("predict", "--url", gateway.url, str(text), str(blank), str(samples[7]))
    assert result.returncode == 1
    rows = table_rows(result.stdout)
    assert rows["notes.png"][3].startswith("error: gateway answered 415")
    assert rows["blank.png"][3].startswith("error: gateway answered 422")
    assert "ink" in rows["blank.png"][3]  # the gateway's own message is shown
    assert rows[samples[7].name][0].isdigit()  # the good image still gets its answer


@pytest.mark.integration
def test_predict_unknown_version_names_it(gateway: Any, samples: list[Path]) -> None:
    result = run_client("predict", "--url", gateway.url, "--version", "99", str(samples[0]))
    assert result.returncode == 1
    assert "gateway answered 404" in result.stdout


def test_predict_when_the_gateway_is_down_says_so(samples: list[Path]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_client("predict", "--url", url, str(samples[0]), str(samples[1]))
    assert result.returncode == 2
    assert f"cannot reach the gateway at {url}" in result.stderr
    assert "make demo" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_grpc_predicts_without_the_gateway(model_server: Any, samples: list[Path]) -> None:
    result = run_client("grpc", "--server", model_server.grpc_target, *map(str, samples))
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert recognized(rows, samples) >= 18
    assert {row[2] for row in rows.values()} == {"1"}


@pytest.mark.integration
def test_grpc_reports_bad_images_and_unknown_versions(
    model_server: Any, samples: list[Path], text: Path
) -> None:
    result = run_client("grpc", "--server", model_server.grpc_target, str(text), str(samples[2]))
    assert result.returncode == 1
    rows = table_rows(result.stdout)
    assert rows["notes.png"][3].startswith("error:") and rows[samples[2].name][0].isdigit()
    missing = run_client(
        "grpc", "--server", model_server.grpc_target, "--version", "99", str(samples[2])
    )
    assert missing.returncode == 2 and "NOT_FOUND" in missing.stderr


def test_grpc_when_the_model_server_is_down_says_so(samples: list[Path]) -> None:
    server = f"127.0.0.1:{free_port()}"
    result = run_client("grpc", "--server", server, "--timeout", "3", str(samples[0]))
    assert result.returncode == 2
    assert f"cannot reach the model server at {server}" in result.stderr


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
