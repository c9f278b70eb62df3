"""Exception handlers: every error leaves as {"error": {"code", "message"}}.

Each handler also notes the error's code (and, for the log only, its detail) on the
request, where the access log line (access_log.py) finds it: one line per failed request.
Unexpected exceptions are caught by RequestObservationMiddleware, not here.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from reader.preprocessing import ImageError
from serving.gateway.access_log import note_error
from serving.gateway.errors import (
    CLIENT_CLOSED_REQUEST,
    GatewayError,
    error_body,
    http_status,
    response_headers,
)


async def gateway_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError | ImageError)
    note_error(request.scope, exc.code, getattr(exc, "detail", ""))
    return JSONResponse(
        error_body(exc.code, exc.message), http_status(exc), headers=response_headers(exc)
    )


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
    )
    note_error(request.scope, "invalid_request")
    return JSONResponse(error_body("invalid_request", problems), 422)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
    note_error(request.scope, code)
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client closed the connection mid-upload: nobody to answer; counted as 499."""
    note_error(request.scope, "client_closed_request")
    return Response(status_code=CLIENT_CLOSED_REQUEST)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GatewayError, gateway_error)
    app.add_exception_handler(ImageError, gateway_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(ClientDisconnect, client_gone)
