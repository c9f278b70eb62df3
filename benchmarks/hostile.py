"""Hostile input and faults against a real gateway and model server (issue 13's figures).

    python -m benchmarks.hostile --model-base-path models/mnist [--seconds 10] [--soak-seconds 60]

Prints, each against a baseline of the same run:
  worst accepted images  decode + preprocess time and peak memory, each in a fresh process,
                         against a 28×28 PNG;
  fuzz over HTTP         the seeded damaged files of benchmarks/hostile_images.py: statuses,
                         5xx (goal 0);
  soak                   requests, errors and the gateway's memory before and after a mix of
                         good and damaged uploads;
  /healthz under attack  its latency while clients send the worst accepted images without a
                         pause, against /healthz alone (goal: under 100 ms), and a
                         well-behaved client's prediction rate beside them, against alone;
  faults                 /readyz and /predict while the model server is hung (SIGSTOP), and
                         the time from a restarted model server's readiness to the gateway's
                         first successful prediction (goal: under 1 s).
Writes the figures to .run/bench/hostile.json (--output) and the servers' logs beside it.
Only loopback traffic, bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from benchmarks.hostile_images import cases
from benchmarks.output import add_output, progress, stop, write_json
from contract.model import MODEL_NAME
from processes import proc
from processes.ports import LOOPBACK, free_ports
from processes.servers import GatewayProcess, model_server_command, running_gateway
from processes.service import Service, start, wait_ready

PNG = {"content-type": "image/png"}


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def digit() -> np.ndarray:
    field = np.zeros((28, 28), np.uint8)
    field[5:23, 12:16] = 255
    return field


def worst_images() -> dict[str, bytes]:
    """The costliest images the default limits accept (25 Mpx, 64 MiB decoded), and the
    1×25,000,000 PNG of the issue, now refused from its header."""
    strip = np.zeros((7_400_000, 1), np.uint8)  # 7.4 M lines × 9 bytes: just under 64 MiB
    strip[3_000_000:4_400_000] = 255
    refused = np.zeros((25_000_000, 1), np.uint8)
    square = np.zeros((5000, 5000), np.uint8)
    square[1000:4000, 2300:2700] = 255
    rgba = np.zeros((4090, 4090, 4), np.uint8)  # 4090 × (4090 × 4 + 8) bytes: under 64 MiB
    rgba[800:3200, 1800:2300, 3] = 255  # black ink on a transparent canvas
    return {
        "1×25,000,000 PNG (L), refused": png(refused),
        "1×7,400,000 PNG (L)": png(strip),
        "5000×5000 PNG (L)": png(square),
        "4090×4090 PNG (RGBA)": png(rgba),
    }


# VmHWM, not ru_maxrss: a forked child inherits its parent's ru_maxrss across exec.
MEASURE_ONE = """
import sys, time
from reader.preprocessing import preprocess, warm_up

def high_water_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

data = sys.stdin.buffer.read()
warm_up()  # as the gateway does at start: Pillow's plugins imported
before = high_water_kib()
start = time.perf_counter()
try:
    preprocess(data)
    outcome = "ok"
except Exception as error:
    outcome = type(error).__name__
seconds = time.perf_counter() - start
print(seconds, (high_water_kib() - before) / 1024, outcome)
"""


def measure_decode(data: bytes) -> tuple[float, float, str]:
    """Seconds, peak MiB above the process's own and the outcome, in a fresh process."""
    command = [sys.executable, "-c", MEASURE_ONE]
    done = subprocess.run(command, input=data, capture_output=True, check=True, timeout=120)
    seconds, mib, outcome = done.stdout.decode().split()
    return float(seconds), float(mib), outcome


def report_worst_images(images: dict[str, bytes]) -> dict[str, Any]:
    base_seconds, base_mib, _ = measure_decode(png(digit()))
    print("\n## worst accepted images: decode + preprocess, one fresh process each")
    print("| image | file KB | seconds | × 28×28 PNG | peak MiB above start | outcome |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    print(f"| 28×28 PNG (baseline) | 0.1 | {base_seconds:.4f} | 1 | {base_mib:.0f} | ok |")
    figures: dict[str, Any] = {"28×28 PNG": {"seconds": base_seconds, "peak_mib": base_mib}}
    for name, data in images.items():
        seconds, mib, outcome = measure_decode(data)
        figures[name] = {"seconds": seconds, "peak_mib": mib, "outcome": outcome}
        ratio = seconds / base_seconds
        print(
            f"| {name} | {len(data) / 1024:.0f} | {seconds:.3f} | {ratio:.0f} | {mib:.0f} "
            f"| {outcome} |"
        )
    return figures


async def post_all(url: str, bodies: list[bytes], concurrency: int) -> Counter[str]:
    """POST each body once, `concurrency` at a time; statuses (or error names) counted."""
    statuses: Counter[str] = Counter()
    queue = iter(bodies)
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker() -> None:
            for body in queue:
                statuses[await status_of(client, url, body)] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


async def status_of(client: httpx.AsyncClient, url: str, body: bytes) -> str:
    try:
        return str((await client.post(f"{url}/predict", content=body, headers=PNG)).status_code)
    except httpx.HTTPError as error:
        return type(error).__name__


def report_fuzz(gateway: GatewayProcess, per_seed: int) -> dict[str, Any]:
    bodies = [data for _, data in cases(per_seed)]
    start = time.perf_counter()
    statuses = asyncio.run(post_all(gateway.url, bodies, concurrency=4))
    seconds = time.perf_counter() - start
    server_errors = sum(n for s, n in statuses.items() if not s.startswith(("2", "4")))
    print("\n## fuzz over HTTP: seeded truncated and mutated files of 13 formats and flavours")
    print(f"cases {len(bodies):,} in {seconds:.1f} s; statuses {dict(sorted(statuses.items()))}")
    print(f"5xx or transport errors: {server_errors} (goal 0)")
    return {"cases": len(bodies), "statuses": dict(statuses), "server_errors": server_errors}


# A client in a process of its own (in the load generator's process it would wait for that
# process's GIL, not for the gateway): GET /healthz every 20 ms, or, given a body on stdin,
# POST it to /predict in a closed loop (a well-behaved client). Prints each latency.
CLIENT = """
import sys, time, httpx
url, seconds = sys.argv[1], float(sys.argv[2])
body = sys.stdin.buffer.read()
deadline = time.monotonic() + seconds
with httpx.Client(timeout=10) as client:
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            if body:
                headers = {"content-type": "image/png"}
                client.post(url + "/predict", content=body, headers=headers).raise_for_status()
            else:
                client.get(url + "/healthz").raise_for_status()
            print(time.perf_counter() - start)
        except httpx.HTTPError:
            print("failed")
        if not body:
            time.sleep(0.02)
"""


@contextmanager
def client_process(url: str, seconds: float, body: bytes = b"") -> Iterator[list[str]]:
    """A CLIENT for `seconds` while the block runs; its latencies after the block."""
    command = [sys.executable, "-c", CLIENT, url, str(seconds)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    results: list[str] = []
    try:
        assert process.stdin is not None
        process.stdin.write(body)
        process.stdin.close()
        yield results
    finally:
        assert process.stdout is not None
        results.extend(process.stdout.read().decode().split())  # until it exits
        process.wait(timeout=30)


def summary(results: list[str]) -> tuple[str, float]:
    ms = np.array([float(r) for r in results if r != "failed"]) * 1000
    failures = results.count("failed")
    text = (
        f"{len(ms)} probes, p50 {np.percentile(ms, 50):.1f} ms, p99 "
        f"{np.percentile(ms, 99):.1f} ms, max {ms.max():.1f} ms, failures {failures}"
    )
    return text, float(ms.max())


async def flood(url: str, bodies: list[bytes], seconds: float, concurrency: int) -> Counter[str]:
    """Send the bodies round-robin without a pause for `seconds`."""
    statuses: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=60) as client:

        async def worker(offset: int) -> None:
            index = offset
            while time.monotonic() < deadline:
                statuses[await status_of(client, url, bodies[index % len(bodies)])] += 1
                index += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return statuses


def report_healthz(
    gateway: GatewayProcess, images: dict[str, bytes], seconds: float
) -> dict[str, Any]:
    print("\n## /healthz and a well-behaved client while others flood the worst accepted images")
    good = png(digit())
    with (
        client_process(gateway.url, seconds) as quiet,
        client_process(gateway.url, seconds, good) as alone,
    ):
        time.sleep(seconds)
    with (
        client_process(gateway.url, seconds) as attacked,
        client_process(gateway.url, seconds, good) as beside,
    ):
        statuses = asyncio.run(flood(gateway.url, list(images.values()), seconds, 4))
    quiet_text, quiet_max = summary(quiet)
    attacked_text, attacked_max = summary(attacked)
    print(f"gateway RSS after the flood: {proc.rss_mib(gateway.pid):.0f} MiB")
    print(f"/healthz alone:        {quiet_text}")
    print(f"/healthz under attack: {attacked_text}")
    print(f"attack answers: {dict(sorted(statuses.items()))}")
    print(f"worst /healthz under attack / worst alone: {attacked_max / quiet_max:.1f}× "
          "(goal: worst < 100 ms)")  # fmt: skip
    rates = [len([r for r in run if r != "failed"]) / seconds for run in (alone, beside)]
    print(f"good client: {rates[0]:.0f} predictions/s alone, {rates[1]:.0f} under attack "
          f"({rates[1] / rates[0]:.2f}×)")  # fmt: skip
    return {
        "healthz_max_ms_alone": quiet_max,
        "healthz_max_ms_under_attack": attacked_max,
        "good_client_per_s": {"alone": rates[0], "under_attack": rates[1]},
        "rss_mib_after": proc.rss_mib(gateway.pid),
    }


@dataclass
class FixedModelServer:
    """The model server on fixed ports, so that it can be stopped and started again."""

    model_base_path: Path
    log_path: Path

    def __post_init__(self) -> None:
        self.grpc_port, self.rest_port = free_ports(2)
        self.service: Service | None = None

    @property
    def target(self) -> str:
        return f"{LOOPBACK}:{self.grpc_port}"

    def start(self) -> None:
        command = model_server_command(
            self.grpc_port, self.rest_port, model_base_path=self.model_base_path
        )
        self.service = start("model server", command, self.log_path, append=True)

    def wait_ready(self) -> float:
        """Poll every 10 ms; the monotonic time at which it answered AVAILABLE."""
        assert self.service is not None
        url = f"http://{LOOPBACK}:{self.rest_port}/v1/models/{MODEL_NAME}"
        wait_ready(url, self.service, text=b"AVAILABLE", interval=0.01)
        return time.monotonic()

    def signal(self, sig: signal.Signals) -> None:
        assert self.service is not None
        self.service.process.send_signal(sig)  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop(grace=10)


def timed_request(method: str, url: str, **kwargs: object) -> tuple[int, float]:
    start = time.perf_counter()
    response = httpx.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
    return response.status_code, time.perf_counter() - start


def report_hung(gateway: GatewayProcess, server: FixedModelServer) -> dict[str, Any]:
    server.signal(signal.SIGSTOP)
    try:
        ready = timed_request("GET", f"{gateway.url}/readyz")
        predict = timed_request("POST", f"{gateway.url}/predict", content=png(digit()), headers=PNG)
        health = timed_request("GET", f"{gateway.url}/healthz")
    finally:
        server.signal(signal.SIGCONT)
    print("\n## the model server hung (SIGSTOP)")
    answers_while_hung = {"/readyz": ready, "/predict": predict, "/healthz": health}
    for name, (status, seconds) in answers_while_hung.items():
        print(f"{name}: {status} in {seconds * 1000:.0f} ms")
    return {name: {"status": st, "seconds": sec} for name, (st, sec) in answers_while_hung.items()}


def first_success_after(gateway: GatewayProcess, since: float, timeout: float = 30.0) -> float:
    """Seconds from `since` to the gateway's first 200 for a prediction (polled every 10 ms)."""
    body = png(digit())
    with httpx.Client(timeout=5) as client:
        while time.monotonic() - since < timeout:
            if client.post(f"{gateway.url}/predict", content=body, headers=PNG).status_code == 200:
                return time.monotonic() - since
            time.sleep(0.01)
    raise RuntimeError("no successful prediction within the timeout")


def report_restart(gateway: GatewayProcess, server: FixedModelServer) -> dict[str, Any]:
    server.signal(signal.SIGKILL)
    server.stop()
    with httpx.Client(timeout=10) as client:
        down = client.post(f"{gateway.url}/predict", content=png(digit()), headers=PNG)
    time.sleep(5)  # the gateway's reconnect backoff grows while nothing listens
    server.start()
    ready_at = server.wait_ready()
    recovery = first_success_after(gateway, ready_at)
    print("\n## the model server killed (SIGKILL) and started again")
    print(f"while down: /predict {down.status_code} {down.json()['error']['code']}")
    print(f"first successful prediction {recovery * 1000:.0f} ms after the model server was "
          "ready (goal < 1000 ms)")  # fmt: skip
    return {"status_while_down": down.status_code, "recovery_seconds": recovery}


def report_soak(gateway: GatewayProcess, seconds: float, per_seed: int) -> dict[str, Any]:
    good = [png(np.roll(digit(), shift, axis=1)) for shift in range(-5, 6)]
    damaged = [data for _, data in cases(per_seed // 4, seed=1)]
    mixed = [body for pair in zip(good * 40, damaged, strict=False) for body in pair]
    before = proc.rss_mib(gateway.pid)
    statuses = asyncio.run(flood(gateway.url, mixed, seconds, 8))
    after = proc.rss_mib(gateway.pid)
    requests = sum(statuses.values())
    errors = sum(n for s, n in statuses.items() if not s.startswith(("2", "4")))
    print(f"\n## soak: {seconds:.0f} s, 8 clients, good and damaged uploads alternating")
    print(f"requests {requests:,}, errors (5xx or transport) {errors}, statuses {dict(statuses)}")
    print(f"gateway RSS before {before:.0f} MiB, after {after:.0f} MiB ({after / before:.2f}×)")
    return {"requests": requests, "errors": errors, "rss_mib": {"before": before, "after": after}}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-base-path", type=Path, default=Path("models/mnist"))
    parser.add_argument("--seconds", type=float, default=10.0, help="each /healthz phase")
    parser.add_argument("--soak-seconds", type=float, default=60.0)
    parser.add_argument("--fuzz-per-seed", type=int, default=880, help="cases per seed file")
    add_output(parser, "hostile")
    return parser.parse_args()


def measure(args: argparse.Namespace, images: dict[str, bytes]) -> dict[str, Any]:
    """Everything against one gateway and one model server (logs beside the output)."""
    args.output.parent.mkdir(parents=True, exist_ok=True)
    server = FixedModelServer(args.model_base_path.resolve(), args.output.with_suffix(".model.log"))
    server.start()
    try:
        server.wait_ready()
        log = args.output.with_suffix(".gateway.log")
        with running_gateway(server.target, log_path=log, log_level="warning") as gateway:
            return {
                "fuzz": report_fuzz(gateway, args.fuzz_per_seed),
                "soak": report_soak(gateway, args.soak_seconds, args.fuzz_per_seed),
                "healthz_under_attack": report_healthz(gateway, images, args.seconds),
                "model_server_hung": report_hung(gateway, server),
                "model_server_restart": report_restart(gateway, server),
            }
    finally:
        server.stop()


def main() -> None:
    args = parse_args()
    if not any(p.name.isdigit() for p in args.model_base_path.glob("*")):
        stop(f"no published version in {args.model_base_path}: publish a model first (make demo)")
    progress("worst accepted images, each in a fresh process ...")
    images = worst_images()
    results = {"worst_images": report_worst_images(images), **measure(args, images)}
    write_json(args.output, results)


if __name__ == "__main__":
    main()
