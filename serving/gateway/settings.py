"""The gateway's configuration: environment variables prefixed GATEWAY_, in one class."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contract.model import MODEL_NAME
from contract.ports import GATEWAY_PORT, GRPC_PORT
from reader.preprocessing import DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_PIXELS

MiB = 1024 * 1024
KiB = 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True)

    model_server: Annotated[str, Field(description="gRPC target of TF Serving")] = (
        f"localhost:{GRPC_PORT}"
    )
    model_name: str = MODEL_NAME
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = GATEWAY_PORT
    workers: Annotated[int, Field(ge=1)] = 1
    rpc_timeout_seconds: Annotated[float, Field(gt=0, description="deadline of every RPC")] = 5.0
    max_upload_bytes: Annotated[int, Field(gt=0, description="request body limit")] = 5 * MiB
    max_pixels: Annotated[int, Field(gt=0, description="width × height per image")] = (
        DEFAULT_MAX_PIXELS
    )
    max_decoded_bytes: Annotated[
        int, Field(gt=0, description="width × height × bytes per pixel, per image")
    ] = DEFAULT_MAX_DECODED_BYTES
    max_images: Annotated[int, Field(ge=1, description="images per request")] = 32
    # Digits read in all images of a request: they go to the model server as one Predict,
    # and TF Serving refuses one larger than batching.config's max_batch_size (32).
    max_digits: Annotated[int, Field(ge=1, description="digits read per request")] = 32
    # Decoding runs in this many threads; beyond `preprocess_queue` waiting requests, 503.
    # One by default: a worker has a core at most (the pod's limit), and the event loop
    # needs its share of it; scale with GATEWAY_WORKERS or pods.
    preprocess_threads: Annotated[int, Field(ge=1)] = 1
    # Room for a load generator's or a busy page's concurrency (64) before refusing: a 503
    # under ordinary load is lost work. Each waiting request holds its upload (≤ 5 MiB).
    preprocess_queue: Annotated[int, Field(ge=0)] = 64
    # All images of one request, decoded one after the other: bounds a request's decode time.
    max_request_decoded_bytes: Annotated[int, Field(gt=0)] = 4 * DEFAULT_MAX_DECODED_BYTES
    # Uploads costlier to decode than this go to a lane of their own (pool.py).
    heavy_decode_bytes: Annotated[int, Field(gt=0)] = 4 * MiB
    heavy_queue: Annotated[int, Field(ge=0)] = 4
    # The HTTP server's own limits (http_server.py), answered 431 and 408.
    max_header_bytes: Annotated[int, Field(ge=1024)] = 16 * KiB
    max_headers: Annotated[int, Field(ge=8)] = 64
    header_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    body_timeout_seconds: Annotated[float, Field(gt=0, description="whole body")] = 60.0
    ready_timeout_seconds: Annotated[float, Field(gt=0, description="/readyz's deadline")] = 1.0
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    log_format: Literal["text", "json"] = "text"
    # Version labels to look up for GET /v1/models: TF Serving has no call listing them.
    known_labels: tuple[str, ...] = ("stable", "canary")
    # Safe rollouts (rollout.py): the state file `python -m serving.rollout` writes; empty
    # means unmanaged (unpinned requests go to the highest available version).
    rollout_state: str = ""
    max_client_id_bytes: Annotated[int, Field(ge=1, le=4096)] = 128  # X-Client-ID, the split's key
    shadow_max_in_flight: Annotated[int, Field(ge=0)] = 8  # copies to the candidate; more: dropped
    disagreements_kept: Annotated[int, Field(ge=0)] = 200  # for the gallery at GET /rollout
    feedback_memory: Annotated[int, Field(ge=1)] = 10_000  # predictions POST /feedback can name
    # GET /v1/rollout's figures: the default window, and the longest one kept (memory).
    figures_window_seconds: Annotated[float, Field(gt=0)] = 60.0
    figures_max_window_seconds: Annotated[float, Field(gt=0)] = 600.0
    figures_max_events: Annotated[int, Field(ge=100)] = 100_000  # per version, per kind


@lru_cache
def get_settings() -> Settings:
    return Settings()
