"""GET /metrics (api/routes/metrics.py) and what the gateway records in it (instruments.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.gateway.helpers import post_png


def test_metrics_count_requests_stages_and_predictions(
    client: TestClient, digit_png: bytes
) -> None:
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
        assert f'gateway_prediction_confidence_count{{model_version="{version}"}} 1.0' in text
