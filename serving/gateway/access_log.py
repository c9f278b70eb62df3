"""One access-log line per request, and the gateway's log format (text or JSON).

    request_id=3f2a… method=POST route=/predict status=422 latency_ms=4.1 model_version=-
    client_id=kiosk-7 error=corrupt_image

The line carries the error's code and, for server-side failures, its detail (the model
server's address and raw status, an unexpected exception's type and place), which the
client never sees. With GATEWAY_LOG_FORMAT=json every line of the process is one JSON object.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import warnings
from typing import Any

from starlette.types import Scope

logger = logging.getLogger("serving.gateway.access")

SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # request and client ids we repeat


def safe_id(raw: bytes | None) -> str | None:
    value = (raw or b"").decode("latin-1")
    return value if SAFE_ID.match(value) else None


def note_error(scope: Scope, code: str, detail: str = "") -> None:
    """Remember a request's error for its access line (the handlers call this)."""
    state = scope.setdefault("state", {})
    state["error"] = code
    if detail:
        state["detail"] = detail


def log_request(scope: Scope, route: str, status: int, seconds: float) -> None:
    level = logging.ERROR if status >= 500 else logging.INFO
    if not logger.isEnabledFor(level):
        return
    state = scope.get("state", {})
    fields: dict[str, Any] = {
        "request_id": state.get("request_id"),
        "method": scope["method"],
        "route": route,
        "status": status,
        "latency_ms": round(seconds * 1000, 2),
        "model_version": state.get("model_version"),
        "client_id": state.get("client_id"),
    }
    if "error" in state:
        fields["error"] = state["error"]
    if "detail" in state:
        fields["detail"] = state["detail"]
    logger.log(level, "request", extra={"access": fields})


def _text_value(value: object) -> str:
    if value is None:
        return "-"
    text = str(value)
    return json.dumps(text) if (" " in text or '"' in text or not text) else text


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        access = getattr(record, "access", None)
        if access is not None:
            record.message = " ".join(f"{k}={_text_value(v)}" for k, v in access.items())
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")  # a traceback too: one line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        access = getattr(record, "access", None)
        line.update(access if access is not None else {"message": record.getMessage()})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler configure_logging installed, so a second call replaces it."""


def configure_logging(level: str, log_format: str) -> None:
    """The root logger writes to stderr in `log_format`; uvicorn's loggers propagate to it.

    Pillow's warnings about a damaged upload ("Corrupt EXIF data", "Truncated File Read")
    are dropped: the upload's access line says what became of it. Other warnings become
    log records in the same format.
    """
    warnings.filterwarnings("ignore", module=r"PIL\.")
    logging.captureWarnings(True)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
    handler = _OurHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
