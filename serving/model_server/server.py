"""Assembles the model server: version manager, gRPC and REST on one asyncio loop.

SIGTERM (or SIGINT) stops taking requests, lets those in flight finish within
--shutdown_grace_seconds, and exits 0.
"""

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Generator
from pathlib import Path

import grpc
import tensorflow as tf
import uvicorn

from serving.model_server.config import load_model_config
from serving.model_server.errors import ConfigError, ServingError
from serving.model_server.flags import Options
from serving.model_server.grpc_api import add_services
from serving.model_server.manager import ModelManager
from serving.model_server.metrics import Metrics
from serving.model_server.rest_api import RestApi
from serving.model_server.service import ModelService

log = logging.getLogger("serving.model_server")
MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn on our loop, leaving signal handling to us."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def enable_gpu_memory_growth() -> None:
    """Lets several versions share a GPU instead of the first grabbing all its memory."""
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
        log.info("GPU %s: memory growth on", gpu.name)


def model_threads() -> int:
    """One model call per core: more threads only contend for the cores and the GIL."""
    return os.cpu_count() or 1


async def _watch_config_file(options: Options, manager: ModelManager) -> None:
    """--model_config_file_poll_wait_seconds: re-applies the file when it changes."""
    assert options.model_config_file is not None
    path = Path(options.model_config_file)
    last = path.read_bytes()
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(options.model_config_file_poll_wait_seconds)
        try:
            current = path.read_bytes()
            if current == last:
                continue
            last = current
            config = load_model_config(path, options.mount)
            await loop.run_in_executor(None, manager.apply_config, config)
            log.info("applied the changed model config file %s", path)
        except (OSError, ConfigError, ServingError) as exc:
            log.error("model config file %s not applied: %s", path, exc)


async def serve(options: Options) -> int:
    enable_gpu_memory_growth()
    tf.config.threading.set_intra_op_parallelism_threads(options.intra_op_threads)
    tf.config.threading.set_inter_op_parallelism_threads(options.inter_op_threads)
    metrics = Metrics()
    warmup = options.num_request_iterations_for_warmup if options.enable_model_warmup else None
    manager = ModelManager(metrics, warmup, options.file_system_poll_wait_seconds)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, manager.start, options.model_config)
    except ServingError as exc:
        log.error("Failed to start server. Error: %s", exc.message)
        manager.stop()
        return 1
    service = ModelService(manager, metrics, options.batching, model_threads())

    grpc_server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
        ]
    )
    add_services(grpc_server, service, options.mount)
    grpc_port = grpc_server.add_insecure_port(f"{options.host}:{options.port}")
    await grpc_server.start()
    log.info("Running gRPC ModelServer at %s:%d ...", options.host, grpc_port)

    rest: _EmbeddedUvicorn | None = None
    rest_task: asyncio.Task[None] | None = None
    if options.rest_api_port:
        api = RestApi(service, options.rest_api_timeout_seconds, options.prometheus_path)
        rest = _EmbeddedUvicorn(
            uvicorn.Config(
                api.app,
                host=options.host,
                port=options.rest_api_port,
                log_level="warning",
                lifespan="off",
                timeout_graceful_shutdown=int(options.shutdown_grace_seconds) or 1,
            )
        )
        rest_task = loop.create_task(rest.serve())
        while not rest.started and not rest_task.done():
            await asyncio.sleep(0.01)
        if rest_task.done():
            log.error("Failed to start HTTP Server at %s:%d", options.host, options.rest_api_port)
            await grpc_server.stop(0)
            manager.stop()
            return 1
        log.info("Exporting HTTP/REST API at:%s:%d ...", options.host, options.rest_api_port)

    watcher = None
    if options.model_config_file and options.model_config_file_poll_wait_seconds > 0:
        watcher = loop.create_task(_watch_config_file(options, manager))

    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()

    grace = options.shutdown_grace_seconds
    log.info("Shutting down: draining requests in flight (up to %ss)", grace)
    if watcher is not None:
        watcher.cancel()
    if rest is not None:
        rest.should_exit = True
    await grpc_server.stop(options.shutdown_grace_seconds)
    if rest_task is not None:
        await asyncio.wait([rest_task], timeout=options.shutdown_grace_seconds + 1)
    await loop.run_in_executor(None, manager.stop)
    service.close()
    log.info("Server stopped")
    return 0
