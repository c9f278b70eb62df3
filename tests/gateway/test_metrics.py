"""GET /metrics (api/routes/metrics.py) and what the gateway records in it (instruments.py)."""

from __future__ import annotations

import re
from pathlib import Path

import grpc
from fastapi.testclient import TestClient

from contract.rollout import RolloutState
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import managed, metric, post_png


def test_metrics_count_requests_stages_and_predictions(
    client: TestClient, digit_png: bytes
) -> None:
    before = {v: confidence_count(client, v) for v in ("1", "2")}
    post_png(client, digit_png)
    post_png(client, digit_png, "version=1")
    post_png(client, b"")
    text = client.get("/metrics").text
    assert 'gateway_requests_total{method="POST",route="/predict",status="200"}' in text
    assert 'gateway_requests_total{method="POST",route="/predict",status="422"}' in text
    for stage in ("preprocess", "predict", "postprocess"):
        assert f'gateway_stage_duration_seconds_count{{stage="{stage}"}}' in text
    assert "gateway_predictions_total{digit=" in text
    # Confidence per answering version: the unpinned request got 2, the pinned one 1.
    for version in ("1", "2"):
        assert confidence_count(client, version) == before[version] + 1


def confidence_count(client: TestClient, version: str) -> float:
    """The confidence histogram's count for a version (the registry is the process's)."""
    pattern = rf'gateway_prediction_confidence_count{{model_version="{version}"}} (\S+)'
    found = re.search(pattern, client.get("/metrics").text)
    return float(found.group(1)) if found else 0.0


def test_per_version_metrics_are_labelled_with_version_and_role(
    rollout_predictor: FakePredictor, state_file: Path, digit_png: bytes
) -> None:
    stable_only = RolloutState(stable=1, generation=12)
    served = {"model_version": "1", "role": "stable"}
    pinned = {"model_version": "2", "role": "pinned"}
    with managed(rollout_predictor, state_file, stable_only) as client:
        before = {
            name: metric(client, name, **served)
            for name in (
                "gateway_version_requests_total",
                "gateway_version_predict_duration_seconds_count",
                "gateway_version_confidence_count",
            )
        }
        before_pinned = metric(client, "gateway_version_requests_total", **pinned)
        files = [("file", (f"{i}.png", digit_png, "image/png")) for i in range(2)]
        client.post("/predict", files=files)
        post_png(client, digit_png, "version=2")
        rollout_predictor.fail_with = grpc.StatusCode.UNAVAILABLE
        errors_before = metric(client, "gateway_version_errors_total", **served)
        post_png(client, digit_png)
        errors = metric(client, "gateway_version_errors_total", **served) - errors_before
        after = {name: metric(client, name, **served) for name in before}
        generation = metric(client, "gateway_rollout_generation")
        pinned_count = metric(client, "gateway_version_requests_total", **pinned) - before_pinned
    assert {name: after[name] - before[name] for name in before} == {
        "gateway_version_requests_total": 1,  # one Predict
        "gateway_version_predict_duration_seconds_count": 1,
        "gateway_version_confidence_count": 2,  # per image
    }
    assert (errors, pinned_count, generation) == (1, 1, 12)
