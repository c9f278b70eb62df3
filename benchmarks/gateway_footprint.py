"""Gateway start-up time and memory per worker (goals: ready in < 2 s, < 150 MB RSS).

    python benchmarks/gateway_footprint.py --model-server localhost:8500 [--workers 1,2]

Starts `python -m serving.gateway` against a running model server (the local one or TF
Serving), times start → first 200 from /readyz, sends a few predictions, then reads the
resident memory of every worker process from /proc. Also reports whether TensorFlow got
imported (it must not: /proc/PID/maps would list libtensorflow).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: start-up cost independent of machine load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(pid: int, workers: int) -> list[int]:
    """One worker runs in the started process; with more, uvicorn spawns them as children."""
    if workers == 1:
        return [pid]
    return [c for c in children(pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def loads_tensorflow(pid: int) -> bool:
    return "libtensorflow" in Path(f"/proc/{pid}/maps").read_text()


def digit_png() -> bytes:
    image = np.zeros((28, 28), np.uint8)
    image[5:23, 13:16] = 255
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def measure(model_server: str, workers: int) -> None:
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_MODEL_SERVER": model_server,
        "GATEWAY_PORT": str(port),
        "GATEWAY_WORKERS": str(workers),
        "GATEWAY_LOG_LEVEL": "warning",
    }
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "serving.gateway"], cwd=REPO_ROOT, env=env)
    try:
        while True:
            if time.monotonic() - started > READY_TIMEOUT_SECONDS or process.poll() is not None:
                raise SystemExit("gateway did not become ready")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        ready = time.monotonic() - started
        pids = worker_pids(process.pid, workers)
        cpu = max(cpu_seconds(pid) for pid in pids)
        png = digit_png()
        for _ in range(50 * workers):
            httpx.post(f"{url}/predict", content=png, headers={"content-type": "image/png"})
        memory = ", ".join(f"{rss_mb(pid):.0f}" for pid in pids)
        tensorflow = any(loads_tensorflow(pid) for pid in pids)
        print(
            f"workers={workers}: ready in {ready:.2f} s wall ({cpu:.2f} s CPU per worker, load "
            f"average {os.getloadavg()[0]:.1f}); RSS per worker (MB): {memory}; "
            f"TensorFlow loaded: {tensorflow}"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-server", default="localhost:8500")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    for workers in (int(w) for w in args.workers.split(",")):
        measure(args.model_server, workers)


if __name__ == "__main__":
    main()
