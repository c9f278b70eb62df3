"""The gateway's exceptions, and the one table mapping them to HTTP.

    GatewayError                       (500, never raised on purpose: the base)
    ├── RequestError                   a client's request we refuse
    │   ├── MissingImage               422  no `file` field, an empty body, a malformed form
    │   ├── TooManyImages              413  more files than GATEWAY_MAX_IMAGES
    │   ├── TooManyDigits              413  more digits read in a request than GATEWAY_MAX_DIGITS
    │   ├── UploadTooLarge             413  body over GATEWAY_MAX_UPLOAD_BYTES (while streaming)
    │   ├── BodyTimeout                408  body not in within GATEWAY_BODY_TIMEOUT_SECONDS
    │   ├── BadVersionSelector         422  both `version` and `label` given
    │   ├── ClientIdTooLong            422  X-Client-ID over GATEWAY_MAX_CLIENT_ID_BYTES
    │   ├── UnknownRequestId           404  POST /feedback on a request not among the last
    │   │                                   GATEWAY_FEEDBACK_MEMORY predictions
    │   ├── BadFeedback                422  an image index the request did not have, or an
    │   │                                   answer that is not one digit (number, not_a_digit)
    │   └── BadWindow                  422  GET /v1/rollout's window beyond
    │                                       GATEWAY_FIGURES_MAX_WINDOW_SECONDS
    ├── Overloaded                     503  a preprocessing lane is full (with Retry-After)
    └── UpstreamError                  the model server could not answer
        ├── ModelNotFound              404  unknown version or label
        ├── UpstreamUnavailable        503  unreachable (with Retry-After)
        │   └── NoServableVersion      503  no version can be served (with Retry-After)
        ├── UpstreamTimeout            504  deadline exceeded
        └── UpstreamRejected           502  INVALID_ARGUMENT etc.: our request was wrong (our bug)

    reader.preprocessing.ImageError  an upload that is no usable digit (the shared contract's)
    ├── NoImage                        422  the image is empty
    ├── ImageTooLarge                  413  over GATEWAY_MAX_PIXELS, _MAX_DECODED_BYTES or
    │                                       _MAX_REQUEST_DECODED_BYTES (from the headers)
    ├── UnsupportedImage               415  not an image, or a format we do not accept
    ├── CorruptImage                   422  truncated or damaged image data
    └── NoInk                          422  a blank image, or ink where no digit is found

Every error body is {"error": {"code": ..., "message": ...}}; messages name the limit or
the cause, never internals: an upstream error's `detail` (the model server's address, its
raw status text) goes to the access log only.

Outside the app, the HTTP server itself (http_server.py) answers with the same body: 400
for a malformed request, 431 over GATEWAY_MAX_HEADER_BYTES or GATEWAY_MAX_HEADERS, 408
when the headers are not in within GATEWAY_HEADER_TIMEOUT_SECONDS. A client that goes away
before its answer is counted and logged as 499 (nginx's convention), not as an error of ours.
"""

from __future__ import annotations

from typing import ClassVar

from reader.preprocessing import (
    CorruptImage,
    ImageError,
    ImageTooLarge,
    NoImage,
    NoInk,
    UnsupportedImage,
)


class GatewayError(Exception):
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # for the log only: internal addresses, upstream text


class RequestError(GatewayError):
    code = "bad_request"


class MissingImage(RequestError):
    code = "no_image"


class TooManyImages(RequestError):
    code = "too_many_images"


class TooManyDigits(RequestError):
    code = "too_many_digits"


class UploadTooLarge(RequestError):
    code = "upload_too_large"


class BodyTimeout(RequestError):
    code = "body_timeout"


class BadVersionSelector(RequestError):
    code = "bad_version_selector"


class ClientIdTooLong(RequestError):
    code = "client_id_too_long"


class UnknownRequestId(RequestError):
    code = "unknown_request_id"


class BadFeedback(RequestError):
    code = "bad_feedback"


class BadWindow(RequestError):
    code = "bad_window"


class Overloaded(GatewayError):
    code = "overloaded"


class UpstreamError(GatewayError):
    code = "upstream_error"


class ModelNotFound(UpstreamError):
    code = "model_not_found"


class UpstreamUnavailable(UpstreamError):
    code = "model_server_unavailable"


class NoServableVersion(UpstreamUnavailable):
    code = "no_servable_version"


class UpstreamTimeout(UpstreamError):
    code = "model_server_timeout"


class UpstreamRejected(UpstreamError):
    code = "model_server_rejected_request"


# The one place exceptions become HTTP status codes; a subclass not listed takes its
# nearest listed base's status.
HTTP_STATUS: dict[type[Exception], int] = {
    GatewayError: 500,
    RequestError: 400,
    MissingImage: 422,
    TooManyImages: 413,
    TooManyDigits: 413,
    UploadTooLarge: 413,
    BodyTimeout: 408,
    BadVersionSelector: 422,
    ClientIdTooLong: 422,
    UnknownRequestId: 404,
    BadFeedback: 422,
    BadWindow: 422,
    Overloaded: 503,
    ImageError: 422,
    NoImage: 422,
    ImageTooLarge: 413,
    UnsupportedImage: 415,
    CorruptImage: 422,
    NoInk: 422,
    UpstreamError: 502,
    ModelNotFound: 404,
    UpstreamUnavailable: 503,
    UpstreamTimeout: 504,
    UpstreamRejected: 502,
}
RETRY_AFTER_SECONDS = {UpstreamUnavailable: 1, Overloaded: 1}
# Answered before the body is read to its end: the connection cannot be reused.
CLOSES_CONNECTION = (UploadTooLarge, BodyTimeout)
CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that went away first


# What an error handler takes: ours and the shared preprocessing's (both carry code, message).
HandledError = GatewayError | ImageError


def http_status(exc: HandledError) -> int:
    return next(HTTP_STATUS[cls] for cls in type(exc).__mro__ if cls in HTTP_STATUS)


def retry_after(exc: HandledError) -> int | None:
    return next((s for cls, s in RETRY_AFTER_SECONDS.items() if isinstance(exc, cls)), None)


def response_headers(exc: HandledError) -> dict[str, str]:
    headers = {}
    if (seconds := retry_after(exc)) is not None:
        headers["Retry-After"] = str(seconds)
    if isinstance(exc, CLOSES_CONNECTION):
        headers["Connection"] = "close"
    return headers


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}
