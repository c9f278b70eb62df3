"""The preprocessing pool (pool.py): work runs off the event loop's thread, and beyond its
threads and queue a request is refused at once (503 with Retry-After), not queued."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fastapi.testclient import TestClient

from serving.gateway.errors import Overloaded
from serving.gateway.main import create_app
from serving.gateway.pool import PreprocessPool
from serving.gateway.settings import Settings
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, post_png


def test_work_runs_in_the_pool_not_on_the_loop() -> None:
    async def main() -> str:
        pool = PreprocessPool(threads=1, queue=0)
        try:
            return await pool.run(lambda: threading.current_thread().name)
        finally:
            pool.close()

    assert asyncio.run(main()).startswith("preprocess")


def test_beyond_threads_and_queue_is_overloaded() -> None:
    release = threading.Event()

    async def main() -> None:
        pool = PreprocessPool(threads=1, queue=1)
        busy = [asyncio.ensure_future(pool.run(release.wait)) for _ in range(2)]
        await asyncio.sleep(0.01)
        with pytest.raises(Overloaded, match="GATEWAY_PREPROCESS_THREADS"):
            await pool.run(release.wait)
        release.set()
        assert await asyncio.gather(*busy) == [True, True]
        assert await pool.run(lambda: 7) == 7  # capacity is given back
        pool.close()

    asyncio.run(main())


def test_overloaded_is_503_with_retry_after(digit_png: bytes) -> None:
    settings = Settings(preprocess_threads=1, preprocess_queue=0)
    with TestClient(create_app(settings, FakePredictor())) as client:
        client.app.state.preprocessing.pool.admitted = 1  # type: ignore[attr-defined]
        response = post_png(client, digit_png)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert error_of(response)["code"] == "overloaded"
