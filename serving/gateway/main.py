"""Assembles the gateway's FastAPI app; nothing else lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from serving.gateway import pool
from serving.gateway.access_log import configure_logging
from serving.gateway.api.handlers import install_error_handlers
from serving.gateway.api.routes import (
    docs,
    feedback,
    health,
    metrics,
    models,
    predict,
    rollout,
    web,
)
from serving.gateway.middleware import BodyLimitsMiddleware, RequestObservationMiddleware
from serving.gateway.pool import Preprocessing
from serving.gateway.predictor import GrpcPredictor, PredictorClient
from serving.gateway.rollout import Rollout
from serving.gateway.settings import Settings, get_settings

DESCRIPTION = """Handwritten-digit recognition in front of TensorFlow Serving.

POST an image (any size, dark or light ink) to `/predict`; the gateway reads the digits it
shows (each made an MNIST field), asks the model server over gRPC, and answers what the image
is: a digit, uncertain between two, a number, or not a digit. Draw a digit at `/`.
"""


def create_app(
    settings: Settings | None = None, predictor: PredictorClient | None = None
) -> FastAPI:
    """The app; `predictor` replaces the gRPC client (tests pass a fake one)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.warm_up()
        app.state.preprocessing = Preprocessing.from_settings(settings)
        # One channel per worker, opened and closed with the app (never at import time).
        app.state.predictor = predictor or GrpcPredictor(
            settings.model_server, settings.model_name, settings.rpc_timeout_seconds
        )
        app.state.rollout = Rollout(settings, app.state.predictor)
        app.state.rollout.start()  # reads GATEWAY_ROLLOUT_STATE now, then polls it
        try:
            yield
        finally:
            await app.state.rollout.close()
            await app.state.predictor.close()
            app.state.preprocessing.close()

    app = FastAPI(
        title="MNIST gateway",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by api/routes/docs.py
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    for module in (predict, feedback, rollout, health, models, metrics, web, docs):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    docs.mount_assets(app)
    app.add_middleware(
        BodyLimitsMiddleware,
        max_bytes=settings.max_upload_bytes,
        timeout=settings.body_timeout_seconds,
    )
    app.add_middleware(RequestObservationMiddleware)  # outermost: sees every answer
    return app
