"""The boundary with gRPC: its status codes become the gateway's exceptions here, only here.

Messages for the client say what failed in the gateway's words; the model server's address
and its raw status text go into the exception's `detail`, which only the log shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from serving.gateway.errors import (
    ModelNotFound,
    NoServableVersion,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from serving.gateway.instruments import UPSTREAM_ERRORS

UNKNOWN_LABEL = "Unrecognized servable version label"
# Codes meaning the gateway built a request the model server refuses: our bug, logged.
OUR_BUGS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.OUT_OF_RANGE,
}


def _not_found(code: grpc.StatusCode, details: str) -> bool:
    # TF Serving answers an unknown label with INVALID_ARGUMENT, not NOT_FOUND.
    return code == grpc.StatusCode.NOT_FOUND or (
        code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith(UNKNOWN_LABEL)
    )


RPC_TIMEOUT_SETTING = "GATEWAY_RPC_TIMEOUT_SECONDS"


def upstream_error(
    method: str,
    timeout: float,
    asked_for: str,
    exc: grpc.aio.AioRpcError,
    detail: str,
    setting: str = RPC_TIMEOUT_SETTING,
) -> UpstreamError:
    """The exception for a failed RPC; `asked_for` names a pinned version or label,
    `detail` (for the log) the model server's address and words, `setting` the deadline's."""
    code = exc.code()
    if _not_found(code, exc.details() or ""):
        if asked_for:  # the client's choice does not exist: its error
            return ModelNotFound(f"the model has no servable {asked_for}", detail)
        return NoServableVersion("no version of the model can be served right now", detail)
    if code == grpc.StatusCode.UNAVAILABLE:
        return UpstreamUnavailable("the model server is unavailable", detail)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return UpstreamTimeout(
            f"the model server did not answer {method} within {timeout:g} s ({setting})",
            detail,
        )
    if code in OUR_BUGS:
        return UpstreamRejected(
            f"the model server rejected the gateway's {method} request ({code.name})", detail
        )
    return UpstreamError(f"the model server failed {method}: {code.name}", detail)


@contextmanager
def translate_grpc_errors(
    method: str,
    target: str,
    timeout: float,
    asked_for: str = "",
    setting: str = RPC_TIMEOUT_SETTING,
) -> Iterator[None]:
    """Turn a failed RPC into ModelNotFound/UpstreamUnavailable/UpstreamTimeout/...

    `asked_for` is "version 3" or "label 'canary'" when the request pinned one, else empty:
    then NOT_FOUND means that no version can be served, an outage (503), not a 404.
    """
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        UPSTREAM_ERRORS.labels(method, code.name).inc()
        detail = f"{method} to {target}: {code.name} {exc.details() or ''}".rstrip()
        raise upstream_error(method, timeout, asked_for, exc, detail, setting) from exc
