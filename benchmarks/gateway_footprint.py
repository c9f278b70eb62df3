"""Gateway start-up time and memory per worker (goals: ready in < 2 s, < 150 MB RSS).

    python -m benchmarks.gateway_footprint --model-server localhost:8500 [--workers 1,2]
                                           [--requests 50] [--output .run/bench/...]

Starts `python -m serving.gateway` against a running model server (the local one or TF
Serving), times start → first 200 from /readyz, sends a few predictions, then reads the
resident memory of every worker process from /proc. Also reports whether TensorFlow got
imported (it must not: /proc/PID/maps would list libtensorflow).
"""

from __future__ import annotations

import argparse
import io
import os
from typing import Any

import httpx
import numpy as np
from PIL import Image

from benchmarks.output import EXIT_DOWN, add_output, progress, reachable, stop, write_json
from processes import proc
from processes.servers import GatewayProcess, running_gateway


def worker_pids(pid: int, workers: int) -> list[int]:
    """One worker runs in the started process; with more, uvicorn spawns them as children."""
    if workers == 1:
        return [pid]
    return [c for c in proc.children(pid) if "spawn_main" in proc.command_line(c)]


def digit_png() -> bytes:
    image = np.zeros((28, 28), np.uint8)
    image[5:23, 13:16] = 255
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def measure(model_server: str, workers: int, requests: int) -> dict[str, Any]:
    progress(f"workers={workers}: starting the gateway, then {requests * workers} predictions")
    with running_gateway(model_server, workers=str(workers), log_level="warning") as gateway:
        pids = worker_pids(gateway.pid, workers)
        cpu = max(proc.cpu_seconds(pid) for pid in pids)  # start-up cost, whatever the load
        send_predictions(gateway, requests * workers)
        memory = [round(proc.rss_mib(pid), 1) for pid in pids]
        tensorflow = any(proc.maps_library(pid, "libtensorflow") for pid in pids)
    result = {
        "workers": workers,
        "ready_s": round(gateway.seconds_to_ready, 3),
        "startup_cpu_s": round(cpu, 3),
        "load_average": os.getloadavg()[0],
        "rss_mib": memory,
        "tensorflow_loaded": tensorflow,
    }
    print(
        f"workers={workers}: ready in {result['ready_s']:.2f} s wall ({cpu:.2f} s CPU "
        f"per worker, load average {result['load_average']:.1f}); RSS per worker (MB): "
        f"{', '.join(f'{m:.0f}' for m in memory)}; TensorFlow loaded: {tensorflow}"
    )
    return result


def send_predictions(gateway: GatewayProcess, count: int) -> None:
    png = digit_png()
    for _ in range(count):
        response = httpx.post(
            f"{gateway.url}/predict", content=png, headers={"content-type": "image/png"}
        )
        if response.status_code != 200:
            stop(f"the gateway answered {response.status_code}: {response.text[:200]}", EXIT_DOWN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-server", default="localhost:8500")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--requests", type=int, default=50, help="predictions per worker")
    add_output(parser, "gateway_footprint")
    args = parser.parse_args()
    if not reachable(args.model_server):
        stop(
            f"nothing answers at --model-server {args.model_server}; `make demo` starts one",
            EXIT_DOWN,
        )
    results = [
        measure(args.model_server, int(workers), args.requests)
        for workers in args.workers.split(",")
    ]
    write_json(args.output, {"model_server": args.model_server, "results": results})


if __name__ == "__main__":
    main()
