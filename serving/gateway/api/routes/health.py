"""Liveness (never calls upstream) and readiness (the model is AVAILABLE).

/readyz asks with its own short deadline (GATEWAY_READY_TIMEOUT_SECONDS): a hung model
server makes it answer 503 within that, before the probe's own timeout.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from serving.gateway.access_log import note_error
from serving.gateway.api.deps import AppSettings, Predictor
from serving.gateway.errors import GatewayError, error_body
from serving.gateway.schemas import ErrorResponse, Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": ErrorResponse}})
async def readyz(
    request: Request, predictor: Predictor, settings: AppSettings
) -> Readiness | JSONResponse:
    try:
        statuses = await predictor.model_status(
            settings.ready_timeout_seconds, "GATEWAY_READY_TIMEOUT_SECONDS"
        )
    except GatewayError as exc:
        note_error(request.scope, exc.code, exc.detail)
        return JSONResponse(error_body("not_ready", exc.message), 503)
    available = [s.version for s in statuses if s.state == "AVAILABLE"]
    if not available:
        states = ", ".join(f"{s.version}: {s.state}" for s in statuses) or "no versions"
        message = f"model {predictor.model_name!r} has no AVAILABLE version ({states})"
        return JSONResponse(error_body("not_ready", message), 503)
    return Readiness(status="ready", model_name=predictor.model_name, available_versions=available)
