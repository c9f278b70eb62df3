"""The gateway's Prometheus instruments: its counters and histograms, and how to time a stage.

One registry per worker process; GET /metrics (api/routes/metrics.py) exposes it. The
middleware counts requests and their latency, the upstream boundary counts gRPC errors, and
the prediction stages time themselves with `timed_stage`.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
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
    "gateway_predictions_total",
    "Predicted digits (each digit read, the model's most likely) by model version",
    ["digit", "model_version"],
)
ANSWERS = Counter(
    "gateway_answers_total",
    "Answers per image by status (digit, uncertain, not_a_digit, number) and model version",
    ["status", "model_version"],
)
CONFIDENCE = Histogram(
    "gateway_prediction_confidence",
    "Probability of the predicted digit, by model version",
    ["model_version"],
    buckets=CONFIDENCE_BUCKETS,
)

# Per version and role (version_metrics.py): stable, canary, shadow (the candidate answering
# copies of traffic), pinned (?version= or ?label=), unmanaged (no rollout state).
VERSION_LABELS = ["model_version", "role"]
VERSION_REQUESTS = Counter(
    "gateway_version_requests_total", "Predict calls answered, by version and role", VERSION_LABELS
)
VERSION_ERRORS = Counter(
    "gateway_version_errors_total",
    "Predict calls the model server failed, by the version and role they were routed to",
    VERSION_LABELS,
)
VERSION_LATENCY = Histogram(
    "gateway_version_predict_duration_seconds",
    "Latency of the Predict call, by version and role",
    VERSION_LABELS,
    buckets=LATENCY_BUCKETS,
)
VERSION_CONFIDENCE = Histogram(
    "gateway_version_confidence",
    "Probability of the predicted digit, per digit read, by version and role",
    VERSION_LABELS,
    buckets=CONFIDENCE_BUCKETS,
)
SHADOW_COMPARISONS = Counter(
    "gateway_shadow_comparisons_total",
    "Candidate answers to copies of stable's traffic: images agreed or disagreed (argmax), "
    "copies failed or dropped (too many in flight); labelled with the candidate",
    [*VERSION_LABELS, "outcome"],
)
FEEDBACK = Counter(
    "gateway_feedback_total",
    "POST /feedback: was the answer right (correct) or not (wrong)",
    [*VERSION_LABELS, "outcome"],
)
ROLLOUT_GENERATION = Gauge(
    "gateway_rollout_generation", "Generation of the rollout state applied; -1 unmanaged"
)


Metric = TypeVar("Metric", bound=MetricWrapperBase)


@lru_cache(maxsize=4096)
def child(metric: Metric, *labels: str) -> Metric:
    """`metric.labels(*labels)`, looked up once: `.labels()` locks and builds a key per call.

    Label values are bounded (route templates, status codes, digits, versions), and so is
    the cache.
    """
    return metric.labels(*labels)


class timed_stage:  # lower-case: used like the context-manager function it replaced
    """Time a block into STAGE_LATENCY; `seconds` holds the duration after the block."""

    __slots__ = ("_histogram", "_start", "seconds")

    def __init__(self, stage: str) -> None:
        self._histogram = child(STAGE_LATENCY, stage)
        self.seconds = 0.0

    def __enter__(self) -> timed_stage:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self._histogram.observe(self.seconds)
