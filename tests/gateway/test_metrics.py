"""GET /metrics (api/routes/metrics.py) and what the gateway records in it (instruments.py)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.gateway.helpers import post_png


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
