"""The access log (access_log.py): one line per request with its id, method, route, status,
latency, model version and client id; a failed request's error in that same line only;
text or JSON. The real process's lines: test_integration.py."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from serving.gateway.access_log import JsonFormatter, TextFormatter
from serving.gateway.main import create_app
from serving.gateway.predictor import PredictResult
from serving.gateway.settings import Settings
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, post_png

ACCESS = "serving.gateway.access"


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("serving.gateway")]


def test_one_line_per_request_with_its_fields(
    client: TestClient, digit_png: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    post_png(client, digit_png, **{"x-request-id": "r-1", "x-client-id": "kiosk-7"})
    [record] = lines(caplog)
    fields = dict(record.access)  # type: ignore[attr-defined]
    assert 0 < fields.pop("latency_ms") < 60_000  # the request's own time, in milliseconds
    assert fields == {
        "request_id": "r-1",
        "method": "POST",
        "route": "/predict",
        "status": 200,
        "model_version": 2,  # the fake's highest available version
        "client_id": "kiosk-7",
    }
    text = TextFormatter().format(record)
    assert "request_id=r-1 method=POST route=/predict status=200 latency_ms=" in text
    assert text.endswith("model_version=2 client_id=kiosk-7")
    parsed = json.loads(JsonFormatter().format(record))
    assert (parsed["status"], parsed["client_id"], parsed["level"]) == (200, "kiosk-7", "info")


def test_a_failed_request_is_one_line_naming_the_error(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    post_png(client, b"not an image", **{"x-client-id": "bad id with spaces"})
    [record] = lines(caplog)
    fields = record.access  # type: ignore[attr-defined]
    assert (fields["status"], fields["error"], fields["client_id"]) == (
        415,
        "unsupported_image",
        None,  # an unsafe client id is not repeated
    )


def test_unexpected_exception_is_a_json_500_in_one_line(
    digit_png: bytes, small_limits: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(FakePredictor):
        async def predict(self, *args: object, **kwargs: object) -> PredictResult:
            raise KeyError("surprise")

    with TestClient(create_app(small_limits, Broken())) as client:
        response = post_png(client, digit_png)
    assert response.status_code == 500
    assert error_of(response) == {
        "code": "internal",
        "message": "internal error; see the gateway's log",
    }
    [record] = lines(caplog)
    assert record.levelname == "ERROR" and not record.exc_info
    assert record.access["detail"].startswith("KeyError: 'surprise' (at ")  # type: ignore[attr-defined]
    text = caplog.text
    assert "Traceback" not in text


def test_text_formatter_keeps_an_exception_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
        record.exc_info = sys.exc_info()
    assert "\n" not in TextFormatter().format(record)


def test_pillow_warnings_are_dropped_and_others_logged_in_one_line() -> None:
    code = (
        "import warnings; from serving.gateway.access_log import configure_logging; "
        "configure_logging('info', 'json'); "
        "warnings.warn_explicit('Corrupt EXIF data', UserWarning, 'x.py', 1, "
        "module='PIL.TiffImagePlugin'); "
        "warnings.warn('something else')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    [line] = done.stderr.splitlines()
    assert json.loads(line)["logger"] == "py.warnings" and "something else" in line
