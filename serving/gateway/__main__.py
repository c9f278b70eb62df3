"""`python -m serving.gateway`: uvicorn with the host, port and workers from the settings."""

from __future__ import annotations

import uvicorn

from serving.gateway.settings import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(
        "serving.gateway.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,  # requests are counted in /metrics; the access log costs throughput
    )


if __name__ == "__main__":
    main()
