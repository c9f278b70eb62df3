"""Prometheus metrics of the gateway (one registry per worker process)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "gateway_requests_total", "HTTP requests by route and status", ["route", "method", "status"]
)
REQUEST_LATENCY = Histogram(
    "gateway_request_duration_seconds", "Whole request latency", ["route"], buckets=LATENCY_BUCKETS
)
STAGE_LATENCY = Histogram(
    "gateway_stage_duration_seconds",
    "Latency of the prediction stages (preprocess, predict, postprocess)",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
UPSTREAM_ERRORS = Counter(
    "gateway_upstream_errors_total", "gRPC errors from the model server by code", ["method", "code"]
)
PREDICTIONS = Counter(
    "gateway_predictions_total", "Predicted digits by model version", ["digit", "model_version"]
)
CONFIDENCE = Histogram(
    "gateway_prediction_confidence",
    "Probability of the predicted digit",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
)


@contextmanager
def timed_stage(stage: str) -> Iterator[dict[str, float]]:
    """Time a block into STAGE_LATENCY; the yielded dict receives `seconds` at the end."""
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start
        STAGE_LATENCY.labels(stage).observe(result["seconds"])
