"""`python -m client predict` (http_predict.py) against a real gateway, and its messages when
the gateway is down or refuses an image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from client.http_predict import _summary
from contract.digits import load_bundled
from processes.ports import free_port
from reader.styles import render_number
from tests.client.helpers import recognized, run_client, statuses, table_rows


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
    said = statuses(result.stdout)  # each row says what the image is
    assert len(said) == len(samples) and said.count("digit") >= 15, said
    one_digit = [row for row in rows.values() if row[3] == "digit"]
    assert all(0.0 < float(row[1]) <= 1.0 for row in one_digit)


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
    assert rows["notes.png"][4].startswith("error: gateway answered 415")
    assert rows["blank.png"][4].startswith("error: gateway answered 422")
    assert "ink" in rows["blank.png"][4]  # the gateway's own message is shown
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
def test_predict_prints_a_number_and_marks_for_what_they_are(gateway: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    split = load_bundled()
    number = tmp_path / "number.png"
    number.write_bytes(render_number([split.images[0], split.images[100]], "number_paper", rng))
    marks = tmp_path / "marks.png"
    page = Image.new("L", (240, 240), 255)
    for x, y in rng.uniform(10, 220, (30, 2)):  # dots all over: many marks, no digit
        ImageDraw.Draw(page).ellipse([x, y, x + 6, y + 6], fill=0)
    page.save(marks)
    result = run_client("predict", "--url", gateway.url, str(number), str(marks))
    rows = table_rows(result.stdout)
    answer, confidence, _, status, _ = rows["number.png"]
    assert status.startswith(f"number ({answer[0]}:") and len(answer) == 2, rows
    assert confidence == "-"
    assert rows["marks.png"][3].startswith("not a digit: "), rows


def gateway_answer(prediction: dict[str, Any]) -> dict[str, Any]:
    return {"model_version": 4, "predictions": [prediction]}


def read(digit: int, confidence: float) -> dict[str, Any]:
    return {"digit": digit, "confidence": confidence, "status": "digit"}


@pytest.mark.parametrize(
    ("prediction", "row"),
    [
        ({"status": "digit", "digit": 7, "confidence": 0.9931}, ["7", "0.993", "4", "digit"]),
        (
            {"status": "uncertain", "digit": 4, "confidence": 0.48,
             "candidates": [{"digit": 4, "probability": 0.48}, {"digit": 9, "probability": 0.44}]},
            ["4", "0.480", "4", "uncertain: 4 or 9 (0.440)"],
        ),
        (
            {"status": "number", "number": "26", "digits": [read(2, 0.97), read(6, 0.991)]},
            ["26", "-", "4", "number (2:0.97 6:0.99)"],
        ),
        (
            {"status": "not_a_digit", "reasons": ["ink covers 49% of the image", "3 marks"]},
            ["-", "-", "4", "not a digit: ink covers 49% of the image; 3 marks"],
        ),
        ({"digit": 3, "confidence": 0.5}, ["3", "0.500", "4", "digit"]),  # before statuses
        (
            {"status": "digit", "digit": 7, "confidence": 0.9931, "left_out": [
                {"box": [300, 10, 330, 60], "reason": "above or below the row of digits"},
                {"box": [5, 5, 9, 30], "reason": "a stray mark beside the digits"}]},
            ["7", "0.993", "4", "digit; left out: [300, 10, 330, 60] above or below the row "
             "of digits, [5, 5, 9, 30] a stray mark beside the digits"],
        ),
    ],
    ids=["digit", "uncertain", "number", "not_a_digit", "no_status", "left_out"],
)  # fmt: skip
def test_each_status_is_printed_with_what_it_gives(
    prediction: dict[str, Any], row: list[str]
) -> None:
    assert _summary(gateway_answer(prediction)) == row
