"""Tables, JSON and plots of benchmark results, shared by `bench` and benchmarks/."""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from client.loadgen import LevelResult

# Where results go unless --output says otherwise: ignored by git, beside the demo's files.
RESULTS_DIR = Path(".run/bench")
COLUMNS = ("level", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "client CPU")


def level_row(result: LevelResult) -> list[str]:
    return [
        result.label,
        f"{result.throughput_rps:.0f}",
        f"{result.p50_ms:.2f}",
        f"{result.p90_ms:.2f}",
        f"{result.p99_ms:.2f}",
        f"{result.errors}/{result.requests}",
        f"{result.client_cpu_percent:.0f}%",
    ]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    table = [list(header), *map(list, rows)]
    shown = [i for i in range(len(header)) if any(str(row[i]).strip() for row in table)]
    table = [[row[i] for i in shown] for row in table]  # without columns empty throughout
    widths = [max(len(str(row[i])) for row in table) for i in range(len(shown))]
    lines = [" | ".join(_trim([str(c).rjust(w) for c, w in zip(row, widths, strict=True)]))
             for row in table]  # fmt: skip
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _trim(cells: list[str]) -> list[str]:
    """Without the blank cells at the end of a row (an empty last column)."""
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def results_table(results: Sequence[LevelResult]) -> str:
    return format_table(COLUMNS, [level_row(r) for r in results])


def environment() -> dict[str, Any]:
    """What the figures depend on; the CPU may be shared, which the reader should know."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(document), indent=2) + "\n")


def _finite(value: Any) -> Any:
    """JSON has no NaN: a level without a single success reports null latencies."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def plot_latency_throughput(
    series: Mapping[str, Sequence[LevelResult]], path: Path, title: str
) -> bool:
    """p50 (solid) and p99 (dashed) latency against throughput, one colour per series.

    False when matplotlib is missing: the base install (no `tf` extra) does not have it.
    """
    try:
        import matplotlib
    except ImportError:
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    for index, (name, results) in enumerate(series.items()):
        _plot_series(axes, name, results, colour=f"C{index}")
    _decorate(axes, title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return True


def _plot_series(axes: Any, name: str, results: Sequence[LevelResult], colour: str) -> None:
    """Closed loops as p50 and p99 lines labelled with their concurrency; open loops as p99."""
    closed = sorted((r for r in results if r.mode == "closed"), key=lambda r: r.concurrency or 0)
    if closed:
        x = [r.throughput_rps for r in closed]
        axes.plot(x, [r.p50_ms for r in closed], "o-", color=colour, label=f"{name} p50")
        axes.plot(x, [r.p99_ms for r in closed], "o--", color=colour, label=f"{name} p99")
        for r in closed:
            axes.annotate(f"c={r.concurrency}", (r.throughput_rps, r.p50_ms), fontsize=7)
    for r in results:
        if r.mode == "open":
            axes.plot(r.throughput_rps, r.p99_ms, "^", color=colour, label=f"{name} {r.label} p99")


def _decorate(axes: Any, title: str) -> None:
    axes.set_xlabel("throughput (requests/s)")
    axes.set_ylabel("latency (ms)")
    axes.set_yscale("log")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, handlelength=3)
