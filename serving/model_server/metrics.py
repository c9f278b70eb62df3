"""Prometheus metrics under TF Serving's names, plus a `version` label it lacks.

TF Serving exports counters without the `_total` suffix that prometheus_client adds, so the
few metric kinds needed are written here, with the text exposition format.
"""

import bisect
import itertools
import math
import threading
from collections import defaultdict
from collections.abc import Sequence

Labels = tuple[tuple[str, str], ...]

# TF Serving's latency buckets: microseconds, scale 10, power 1.8, 33 buckets (~20 minutes).
LATENCY_BUCKETS_US = tuple(10 * 1.8**i for i in range(33))
BATCH_SIZE_BUCKETS = tuple(float(2**i) for i in range(11))


def _format_labels(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + ",".join(escaped) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Metric:
    kind = ""

    def lines(self) -> list[str]:
        raise NotImplementedError

    def __init__(self, name: str, help_text: str, label_names: Sequence[str]) -> None:
        self.name, self.help, self.label_names = name, help_text, tuple(label_names)
        self._lock = threading.Lock()

    def _key(self, labels: dict[str, str]) -> Labels:
        return tuple([(name, str(labels[name])) for name in self.label_names])

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help_text: str, label_names: Sequence[str]):
        super().__init__(name, help_text, label_names)
        self._values: dict[Labels, float] = defaultdict(float)

    def inc(self, amount: float = 1, **labels: str) -> None:
        with self._lock:
            self._values[self._key(labels)] += amount

    def lines(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return [f"{self.name}{_format_labels(k)} {_number(v)}" for k, v in items]


class Gauge(Counter):
    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        with self._lock:
            self._values[self._key(labels)] = value


class Histogram(_Metric):
    kind = "histogram"

    def __init__(
        self, name: str, help_text: str, label_names: Sequence[str], buckets: Sequence[float]
    ):
        super().__init__(name, help_text, label_names)
        self.buckets = (*tuple(buckets), math.inf)
        self._counts: dict[Labels, list[int]] = {}
        self._sums: dict[Labels, float] = defaultdict(float)

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        index = bisect.bisect_left(self.buckets, value)  # the first bucket with value <= bound
        with self._lock:
            counts = self._counts.get(key)
            if counts is None:
                counts = self._counts[key] = [0] * len(self.buckets)
            counts[index] += 1  # per bucket here; made cumulative when exported
            self._sums[key] += value

    def lines(self) -> list[str]:
        with self._lock:
            items = sorted((k, list(v), self._sums[k]) for k, v in self._counts.items())
        out = []
        for key, per_bucket, total in items:
            counts = list(itertools.accumulate(per_bucket))
            for bound, count in zip(self.buckets, counts, strict=True):
                labels = (*key, ("le", _number(bound)))
                out.append(f"{self.name}_bucket{_format_labels(labels)} {count}")
            out.append(f"{self.name}_sum{_format_labels(key)} {_number(total)}")
            out.append(f"{self.name}_count{_format_labels(key)} {counts[-1]}")
        return out


class Metrics:
    """The server's metrics; one instance per server."""

    def __init__(self) -> None:
        self.request_count = Counter(
            ":tensorflow:serving:request_count",
            "The total number of requests.",
            ("model_name", "status", "version", "signature"),
        )
        self.request_latency = Histogram(
            ":tensorflow:serving:request_latency",
            "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
            ("model_name", "API", "entrypoint", "version"),
            LATENCY_BUCKETS_US,
        )
        self.runtime_latency = Histogram(
            ":tensorflow:serving:runtime_latency",
            "Distribution of wall time (in microseconds) for Tensorflow runtime "
            "(one observation per model call).",
            ("model_name", "API", "runtime", "version", "signature"),
            LATENCY_BUCKETS_US,
        )
        self.processed_batch_size = Histogram(
            ":tensorflow:serving:batching_session:processed_batch_size",
            "Tracks the batch size distribution on processing (rows per merged model call).",
            ("model_name", "version", "signature"),
            BATCH_SIZE_BUCKETS,
        )
        self.load_attempt_count = Counter(
            ":tensorflow:cc:saved_model:load_attempt_count",
            "The number of times a SavedModel was successfully loaded.",
            ("model_path", "status"),
        )
        self.loaded_versions = Gauge(
            "model_server_loaded_versions",
            "Versions of a model that are AVAILABLE (local model server).",
            ("model_name",),
        )
        self.warmup_request_count = Counter(
            "model_server_warmup_requests_total",
            "Warmup records replayed before a version became available (local model server).",
            ("model_name", "version"),
        )

    def all(self) -> list[_Metric]:
        return [
            self.request_count,
            self.request_latency,
            self.runtime_latency,
            self.processed_batch_size,
            self.load_attempt_count,
            self.loaded_versions,
            self.warmup_request_count,
        ]

    def exposition(self) -> str:
        lines: list[str] = []
        for metric in self.all():
            lines += metric.header() + metric.lines()
        return "\n".join(lines) + "\n"
