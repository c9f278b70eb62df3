"""`python -m serving.gateway`: uvicorn with the host, port and workers from the settings,
its HTTP protocol limited (http_server.py), its logs in the gateway's format."""

from __future__ import annotations

import uvicorn

from serving.gateway.access_log import configure_logging
from serving.gateway.http_server import LimitedHttpToolsProtocol
from serving.gateway.settings import get_settings


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        "serving.gateway.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=LimitedHttpToolsProtocol,
        ws="none",  # no WebSocket routes: an upgrade request is a plain HTTP request
        log_level=settings.log_level,
        log_config=None,  # uvicorn's loggers propagate to ours (configure_logging)
        access_log=False,  # the gateway writes its own access line (access_log.py)
    )


if __name__ == "__main__":
    main()
