"""The boundary with gRPC: its status codes become the gateway's exceptions here, only here."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from serving.gateway.errors import (
    ModelNotFound,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from serving.gateway.instruments import UPSTREAM_ERRORS

logger = logging.getLogger(__name__)

UNKNOWN_LABEL = "Unrecognized servable version label"
# Codes meaning the gateway built a request the model server refuses: our bug, logged.
OUR_BUGS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.OUT_OF_RANGE,
}


@contextmanager
def translate_grpc_errors(method: str, target: str, timeout: float) -> Iterator[None]:
    """Turn a failed RPC into ModelNotFound/UpstreamUnavailable/UpstreamTimeout/..."""
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        code, details = exc.code(), exc.details() or ""
        UPSTREAM_ERRORS.labels(method, code.name).inc()
        if code == grpc.StatusCode.NOT_FOUND or (
            # TF Serving answers an unknown label with INVALID_ARGUMENT, not NOT_FOUND.
            code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith(UNKNOWN_LABEL)
        ):
            raise ModelNotFound(details or "model, version or label not found") from exc
        if code == grpc.StatusCode.UNAVAILABLE:
            raise UpstreamUnavailable(
                f"the model server at {target} is unavailable: {details}"
            ) from exc
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise UpstreamTimeout(
                f"the model server did not answer {method} within the {timeout:g} s deadline "
                "(GATEWAY_RPC_TIMEOUT_SECONDS)"
            ) from exc
        if code in OUR_BUGS:
            logger.error("model server rejected our %s request: %s %s", method, code.name, details)
            raise UpstreamRejected(
                f"the model server rejected the gateway's {method} request ({code.name})"
            ) from exc
        logger.warning("model server %s failed: %s %s", method, code.name, details)
        raise UpstreamError(f"the model server failed {method}: {code.name}") from exc
