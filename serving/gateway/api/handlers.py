"""Exception handlers: every error leaves as {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from contract.preprocessing import ImageError
from serving.gateway.errors import GatewayError, error_body, http_status, retry_after

logger = logging.getLogger(__name__)


async def gateway_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError | ImageError)
    headers = {}
    if (seconds := retry_after(exc)) is not None:
        headers["Retry-After"] = str(seconds)
    return JSONResponse(error_body(exc.code, exc.message), http_status(exc), headers=headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
    )
    return JSONResponse(error_body("invalid_request", problems), 422)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal", "internal error; see the gateway's log"), 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GatewayError, gateway_error)
    app.add_exception_handler(ImageError, gateway_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
