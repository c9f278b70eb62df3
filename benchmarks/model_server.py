"""Model-server benchmark: Predict throughput over gRPC, batching off and on, and memory.

For each mode the server runs alone, as a real subprocess, and a grpc.aio load generator in
this process keeps 1, 8 and 32 single-image Predicts in flight (serving_default) for a
fixed time. Prints a table, the batched/unbatched ratio at concurrency 32 (goal >= 3), and
the server's resident memory with one and with two versions loaded.

Run: python -m benchmarks.model_server --model-base-path models/mnist [--duration 8]
(models/mnist is what `make demo` publishes; any base path with version 1 works). Writes
.run/bench/model_server.json unless --output says where; a server that stops answering
ends the run at once, in one line.
"""

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import grpc
import numpy as np

from benchmarks.output import EXIT_DOWN, add_output, progress, stop, write_json
from contract.model import INPUT_NAME, MODEL_NAME
from processes import proc
from processes.servers import BATCHING_CONFIG, ModelServerProcess, running_model_server
from serving.tfs_api import predict_pb2
from serving.tfs_api.stubs import PredictionServiceStub
from serving.tfs_api.tensors import make_tensor_proto

LEVELS = (1, 8, 32)
GOAL_RATIO = 3.0


class Level(NamedTuple):
    rps: float
    p50_ms: float
    cpu_ms: float  # server CPU (user + system, all threads) per request


def _request(seed: int) -> predict_pb2.PredictRequest:
    image = np.random.default_rng(seed).random((1, 28, 28, 1), dtype=np.float32)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = MODEL_NAME
    request.inputs[INPUT_NAME].CopyFrom(make_tensor_proto(image))
    return request


async def _throughput(server: ModelServerProcess, concurrency: int, duration: float) -> Level:
    """Requests per second, median latency (ms) and the server's CPU ms per request with
    `concurrency` requests in flight."""
    requests = [_request(i) for i in range(64)]
    latencies: list[float] = []
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        stub = PredictionServiceStub(channel)
        for request in requests[:8]:  # warm the connection and the model
            await stub.Predict(request, timeout=30)
        stop_at = time.perf_counter() + duration

        async def worker(index: int) -> None:
            while (started := time.perf_counter()) < stop_at:
                await stub.Predict(requests[index % len(requests)], timeout=30)
                latencies.append(time.perf_counter() - started)
                index += concurrency

        began, cpu_before = time.perf_counter(), proc.cpu_seconds(server.pid)
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - began
        cpu = proc.cpu_seconds(server.pid) - cpu_before
    return Level(
        len(latencies) / elapsed, float(np.median(latencies) * 1000), cpu * 1000 / len(latencies)
    )


def _measure(base: Path, batching: bool, duration: float) -> dict[int, Level]:
    flags = (
        ["--enable_batching", f"--batching_parameters_file={BATCHING_CONFIG}"] if batching else []
    )
    mode = "batched" if batching else "unbatched"
    levels = {}
    with running_model_server(base, *flags) as server:
        for n in LEVELS:
            progress(f"{mode}, concurrency {n}: {duration:g} s ...")
            try:
                levels[n] = asyncio.run(_throughput(server, n, duration))
            except grpc.aio.AioRpcError as exc:
                stop(
                    f"the model server stopped answering ({exc.code().name}): {exc.details()}",
                    EXIT_DOWN,
                )
    return levels


def _memory(base: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        two = Path(tmp) / "mnist"
        two.mkdir()
        shutil.copytree(base / "1", two / "1")
        shutil.copytree(base / "1", two / "2")
        config = Path(tmp) / "models.config"
        config.write_text(
            f'model_config_list {{ config {{ name: "{MODEL_NAME}" base_path: "{two}" '
            'model_platform: "tensorflow" model_version_policy { all {} } } }'
        )
        with running_model_server(base) as one_server:
            one = proc.rss_mib(one_server.pid)
        with running_model_server(None, f"--model_config_file={config}") as two_server:
            both = proc.rss_mib(two_server.pid)
    return one, both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-base-path", type=Path, default=Path("models/mnist"))
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per level")
    add_output(parser, "model_server")
    args = parser.parse_args()
    base = args.model_base_path.resolve()
    if not (base / "1").is_dir():
        stop(f"{args.model_base_path}/1 not found: publish a model first (make demo)")

    unbatched = _measure(base, batching=False, duration=args.duration)
    batched = _measure(base, batching=True, duration=args.duration)
    print(
        "| concurrency | unbatched req/s | p50 ms | CPU ms/req "
        "| batched req/s | p50 ms | CPU ms/req | ratio |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in LEVELS:
        u, b = unbatched[n], batched[n]
        print(
            f"| {n} | {u.rps:.0f} | {u.p50_ms:.1f} | {u.cpu_ms:.2f} "
            f"| {b.rps:.0f} | {b.p50_ms:.1f} | {b.cpu_ms:.2f} | {b.rps / u.rps:.2f} |"
        )
    ratio = batched[32].rps / unbatched[32].rps
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"batched/unbatched at concurrency 32: {ratio:.2f}x (goal >= {GOAL_RATIO}x: {verdict})")
    progress("memory with one and with two versions ...")
    one, two = _memory(base)
    print(f"server RSS: {one:.0f} MiB with one version, {two:.0f} MiB with two versions loaded")
    write_json(
        args.output,
        {
            "duration_s": args.duration,
            "unbatched": {n: level._asdict() for n, level in unbatched.items()},
            "batched": {n: level._asdict() for n, level in batched.items()},
            "batched_over_unbatched_c32": ratio,
            "rss_mib": {"one_version": one, "two_versions": two},
        },
    )


if __name__ == "__main__":
    main()
