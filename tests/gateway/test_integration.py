"""The gateway as a process, against the local model server over real gRPC."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from processes.ports import free_port
from processes.servers import ModelServerProcess
from tests.fixtures.gateway import GatewayProcess, running_gateway
from tests.fixtures.images import encode
from tests.fixtures.servers import running_model_server

pytestmark = pytest.mark.integration

PNG = {"content-type": "image/png"}


@pytest.fixture(scope="module")
def validation_digits() -> tuple[np.ndarray, np.ndarray]:
    from training.data import load_mnist

    validation = load_mnist("subset").validation
    picks = np.linspace(0, len(validation.labels) - 1, 20).astype(int)  # every class
    return validation.images[picks], validation.labels[picks]


def test_ready_and_lists_the_published_version(gateway: GatewayProcess) -> None:
    ready = httpx.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["available_versions"] == [1]

    models = httpx.get(f"{gateway.url}/v1/models").json()
    [version] = models["versions"]
    assert (version["version"], version["state"]) == (1, "AVAILABLE")
    signature = version["signatures"]["serving_default"]
    assert signature["inputs"]["images"] == {"dtype": "float", "shape": [-1, 28, 28, 1]}
    assert signature["outputs"]["probabilities"]["shape"] == [-1, 10]


def test_batch_of_real_digits_is_recognized(
    gateway: GatewayProcess, validation_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = validation_digits
    files = [("file", (f"{i}.png", encode(image), "image/png")) for i, image in enumerate(images)]
    response = httpx.post(f"{gateway.url}/predict", files=files, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == 1
    digits = np.array([p["digit"] for p in body["predictions"]])
    assert (digits == labels).mean() >= 0.85  # the quickly trained fixture model
    for prediction in body["predictions"]:
        assert sum(prediction["probabilities"]) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("query", ["version=9", "label=nope"])
def test_unknown_version_or_label_is_404(
    gateway: GatewayProcess, validation_digits: tuple[np.ndarray, np.ndarray], query: str
) -> None:
    image = encode(validation_digits[0][0])
    response = httpx.post(f"{gateway.url}/predict?{query}", content=image, headers=PNG)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "model_not_found"


def test_metrics_after_predictions(gateway: GatewayProcess) -> None:
    text = httpx.get(f"{gateway.url}/metrics").text
    assert 'gateway_stage_duration_seconds_count{stage="predict"}' in text
    assert 'model_version="1"' in text


def test_unreachable_model_server_is_503_with_retry_after() -> None:
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    with running_gateway(closed, wait_for="/healthz", rpc_timeout_seconds="2") as gateway:
        assert httpx.get(f"{gateway.url}/healthz").status_code == 200
        ready = httpx.get(f"{gateway.url}/readyz", timeout=10)
        assert ready.status_code == 503
        response = httpx.post(
            f"{gateway.url}/predict", content=encode(np.eye(28, dtype=np.uint8) * 255), headers=PNG
        )
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert closed not in response.text  # the address goes to the log only
        assert f"to {closed}: UNAVAILABLE" in gateway.log()


def test_deadline_exceeded_is_504(model_server: ModelServerProcess) -> None:
    with running_gateway(
        model_server.grpc_target, wait_for="/healthz", rpc_timeout_seconds="0.000001"
    ) as gateway:
        response = httpx.post(
            f"{gateway.url}/predict", content=encode(np.eye(28, dtype=np.uint8) * 255), headers=PNG
        )
        assert response.status_code == 504, response.text
        assert "GATEWAY_RPC_TIMEOUT_SECONDS" in response.json()["error"]["message"]


def test_oversized_upload_is_413_while_streaming(gateway: GatewayProcess) -> None:
    def chunks():
        for _ in range(8):  # 8 MiB in chunks, no Content-Length, over the 5 MiB default
            yield b"\0" * (1024 * 1024)

    response = httpx.post(f"{gateway.url}/predict", content=chunks(), headers=PNG, timeout=30)
    assert response.status_code == 413
    assert "GATEWAY_MAX_UPLOAD_BYTES" in response.json()["error"]["message"]


def test_json_access_log_one_line_per_request(
    model_server: ModelServerProcess, validation_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    image = encode(validation_digits[0][0])
    with running_gateway(model_server.grpc_target, log_format="json") as gateway:
        headers = {**PNG, "x-request-id": "ok-1", "x-client-id": "kiosk-7"}
        assert httpx.post(f"{gateway.url}/predict", content=image, headers=headers).is_success
        bad = {**PNG, "x-request-id": "bad-1"}
        assert (
            httpx.post(f"{gateway.url}/predict", content=image[:80], headers=bad).status_code == 422
        )
        log = log_with(gateway, "bad-1")
    records = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    [ok] = [r for r in records if r.get("request_id") == "ok-1"]
    assert {k: ok[k] for k in ("method", "route", "status", "model_version", "client_id")} == {
        "method": "POST",
        "route": "/predict",
        "status": 200,
        "model_version": 1,
        "client_id": "kiosk-7",
    }
    assert ok["latency_ms"] > 0 and ok["level"] == "info"
    [bad_line] = [r for r in records if "bad-1" in json.dumps(r)]  # the error: once
    assert (bad_line["status"], bad_line["error"]) == (422, "corrupt_image")


def log_with(gateway: GatewayProcess, text: str, timeout: float = 5.0) -> str:
    """The gateway's log once it holds `text`: a request's access line is written after its
    answer has been sent, so a client can read the log a moment before the line is there."""
    deadline = time.monotonic() + timeout
    while text not in (log := gateway.log()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return log


def test_no_servable_version_is_503_with_retry_after(tmp_path: Path) -> None:
    """A model server with no version at all: an outage (503), not the client's 404."""
    with (
        running_model_server(tmp_path / "mnist", wait_for_model=None) as empty,
        running_gateway(empty.grpc_target, wait_for="/healthz") as gateway,
    ):
        image = encode(np.eye(28, dtype=np.uint8) * 255)
        response = httpx.post(f"{gateway.url}/predict", content=image, headers=PNG, timeout=10)
        pinned = httpx.post(f"{gateway.url}/predict?version=1", content=image, headers=PNG)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "no_servable_version"
    assert response.headers["retry-after"] == "1"
    assert pinned.status_code == 404
