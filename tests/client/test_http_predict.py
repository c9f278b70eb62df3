"""`python -m client predict` (http_predict.py) against a real gateway, and its messages when
the gateway is down or refuses an image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from processes.ports import free_port
from tests.client.helpers import recognized, run_client, table_rows


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
