"""Assembles the model server: version manager, gRPC and REST on one asyncio loop.

`serve` is its steps in order: configure TensorFlow, load the models, start gRPC, start
REST, watch the config file, wait for SIGTERM (or SIGINT), then drain: stop taking
requests, let those in flight finish within --shutdown_grace_seconds, and exit 0.
"""

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import grpc
import tensorflow as tf
import uvicorn

from serving.model_server.config import ModelServerConfig
from serving.model_server.control_plane import ControlPlane
from serving.model_server.data_plane import DataPlane
from serving.model_server.errors import ServingError
from serving.model_server.flags import Options
from serving.model_server.grpc_api import add_services
from serving.model_server.manager import ModelManager, Retries
from serving.model_server.metrics import Metrics
from serving.model_server.rest_api import RestApi, RestOptions
from serving.model_server.servable import Servable

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


@dataclass
class _Running:
    """What `serve` started, for the drain to stop."""

    manager: ModelManager
    data_plane: DataPlane
    grpc_server: grpc.aio.Server
    rest: _EmbeddedUvicorn | None = None
    rest_task: asyncio.Task[None] | None = None
    watcher: asyncio.Task[None] | None = None


async def serve(options: Options) -> int:
    """Runs the server until SIGTERM or SIGINT; the process's exit code."""
    configure_tensorflow(options)
    metrics = Metrics()
    manager = _manager(options, metrics)
    if not await _load_models(manager, options.model_config):
        return 1
    data_plane = DataPlane(
        manager, metrics, options.batching, model_threads(), options.method_name_check
    )
    control_plane = ControlPlane(manager, options.mount)
    running = _Running(manager, data_plane, await _start_grpc(options, data_plane, control_plane))
    if options.rest_api_port and not await _start_rest(options, running, metrics):
        await running.grpc_server.stop(0)
        manager.stop()
        return 1
    running.watcher = _watch_config_file(options, control_plane)
    await _signalled()
    await _drain(options, running)
    return 0


def configure_tensorflow(options: Options) -> None:
    enable_gpu_memory_growth()
    tf.config.threading.set_intra_op_parallelism_threads(options.intra_op_threads)
    tf.config.threading.set_inter_op_parallelism_threads(options.inter_op_threads)
    if options.xla_cpu:
        tf.config.optimizer.set_jit(True)


def _manager(options: Options, metrics: Metrics) -> ModelManager:
    tags = options.saved_model_tags
    return ModelManager(
        metrics,
        options.num_request_iterations_for_warmup if options.enable_model_warmup else None,
        options.file_system_poll_wait_seconds,
        load=lambda path: Servable.load(path, tags),
        retries=Retries(options.max_num_load_retries, options.load_retry_interval_seconds),
        allow_unavailable_labels=options.allow_unavailable_labels,
    )


async def _load_models(manager: ModelManager, config: ModelServerConfig) -> bool:
    """Loads the configured models and starts polling; False when the server cannot start."""
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, manager.start, config)
    except ServingError as exc:
        log.error("Failed to start server. Error: %s", exc.message)
        manager.stop()
        return False
    return True


async def _start_grpc(
    options: Options, data_plane: DataPlane, control_plane: ControlPlane
) -> grpc.aio.Server:
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_GRPC_MESSAGE_BYTES),
            *options.grpc_channel_arguments,  # last wins, so the user's override ours
        ],
        maximum_concurrent_rpcs=options.grpc_max_threads or None,
    )
    add_services(
        server,
        data_plane,
        control_plane,
        options.tensor_content,
        options.max_request_tensor_bytes,
    )
    port = server.add_insecure_port(f"{options.host}:{options.port}")
    if options.grpc_socket_path:
        server.add_insecure_port(f"unix:{options.grpc_socket_path}")
    await server.start()
    log.info("Running gRPC ModelServer at %s:%d ...", options.host, port)
    if options.grpc_socket_path:
        log.info("Running gRPC ModelServer at UNIX socket %s ...", options.grpc_socket_path)
    return server


async def _start_rest(options: Options, running: _Running, metrics: Metrics) -> bool:
    """Starts REST on our loop; False (logged) when it cannot, e.g. the port is taken."""
    api = RestApi(running.data_plane, metrics, RestOptions.of(options))
    rest = running.rest = _EmbeddedUvicorn(
        uvicorn.Config(
            api.app,
            host=options.host,
            port=options.rest_api_port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=int(options.shutdown_grace_seconds) or 1,
        )
    )
    task = running.rest_task = asyncio.create_task(rest.serve())
    while not rest.started and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        log.error("Failed to start HTTP Server at %s:%d", options.host, options.rest_api_port)
        return False
    log.info("Exporting HTTP/REST API at:%s:%d ...", options.host, options.rest_api_port)
    return True


def _watch_config_file(options: Options, control_plane: ControlPlane) -> asyncio.Task[None] | None:
    """--model_config_file_poll_wait_seconds: a task re-applying the file when it changes."""
    seconds = options.model_config_file_poll_wait_seconds
    if not options.model_config_file or seconds <= 0:
        return None
    path = Path(options.model_config_file)
    return asyncio.create_task(_reapply_on_change(path, seconds, control_plane))


async def _reapply_on_change(path: Path, seconds: float, control_plane: ControlPlane) -> None:
    last = path.read_bytes()
    while True:
        await asyncio.sleep(seconds)
        try:
            current = path.read_bytes()
            if current == last:
                continue
            last = current
            await control_plane.reload_config_file(path)
            log.info("applied the changed model config file %s", path)
        except (OSError, ServingError) as exc:
            log.error("model config file %s not applied: %s", path, exc)


async def _signalled() -> None:
    """Returns on the first SIGTERM or SIGINT."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()


async def _drain(options: Options, running: _Running) -> None:
    """Stops taking requests, lets those in flight finish within the grace, stops the rest."""
    grace = options.shutdown_grace_seconds
    log.info("Shutting down: draining requests in flight (up to %ss)", grace)
    if running.watcher is not None:
        running.watcher.cancel()
    if running.rest is not None:
        running.rest.should_exit = True
    await running.grpc_server.stop(grace)
    if running.rest_task is not None:
        await asyncio.wait([running.rest_task], timeout=grace + 1)
    await asyncio.get_running_loop().run_in_executor(None, running.manager.stop)
    running.data_plane.close()
    log.info("Server stopped")
