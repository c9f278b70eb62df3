"""Gateway start-up time and memory per worker (goals: ready in < 2 s, < 150 MB RSS).

    python -m benchmarks.gateway_footprint --model-server localhost:8500 [--workers 1,2]

Starts `python -m serving.gateway` against a running model server (the local one or TF
Serving), times start → first 200 from /readyz, sends a few predictions, then reads the
resident memory of every worker process from /proc. Also reports whether TensorFlow got
imported (it must not: /proc/PID/maps would list libtensorflow).
"""

from __future__ import annotations

import argparse
import io
import os

import httpx
import numpy as np
from PIL import Image

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


def measure(model_server: str, workers: int) -> None:
    with running_gateway(model_server, workers=str(workers), log_level="warning") as gateway:
        pids = worker_pids(gateway.pid, workers)
        cpu = max(proc.cpu_seconds(pid) for pid in pids)  # start-up cost, whatever the load
        send_predictions(gateway, 50 * workers)
        memory = ", ".join(f"{proc.rss_mib(pid):.0f}" for pid in pids)
        tensorflow = any(proc.maps_library(pid, "libtensorflow") for pid in pids)
        print(
            f"workers={workers}: ready in {gateway.seconds_to_ready:.2f} s wall ({cpu:.2f} s CPU "
            f"per worker, load average {os.getloadavg()[0]:.1f}); RSS per worker (MB): "
            f"{memory}; TensorFlow loaded: {tensorflow}"
        )


def send_predictions(gateway: GatewayProcess, count: int) -> None:
    png = digit_png()
    for _ in range(count):
        httpx.post(f"{gateway.url}/predict", content=png, headers={"content-type": "image/png"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-server", default="localhost:8500")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    for workers in (int(w) for w in args.workers.split(",")):
        measure(args.model_server, workers)


if __name__ == "__main__":
    main()
