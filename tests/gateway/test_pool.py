"""The preprocessing lanes (pool.py): work runs off the event loop's thread; beyond a lane's
threads and queue a request is refused at once (503 with Retry-After), not queued; costly
images go to a lane of their own, so a flood of them leaves ordinary uploads served."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from fastapi.testclient import TestClient

from serving.gateway.errors import Overloaded
from serving.gateway.main import create_app
from serving.gateway.pool import PreprocessPool
from serving.gateway.settings import Settings
from tests.fixtures.images import encode
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, post_png


def test_work_runs_in_the_pool_not_on_the_loop() -> None:
    async def main() -> str:
        pool = PreprocessPool(threads=1, queue=0, limits="X")
        try:
            return await pool.run(lambda: threading.current_thread().name)
        finally:
            pool.close()

    assert asyncio.run(main()).startswith("preprocess")


def test_beyond_threads_and_queue_is_overloaded() -> None:
    release = threading.Event()

    async def main() -> None:
        pool = PreprocessPool(threads=1, queue=1, limits="GATEWAY_PREPROCESS_THREADS")
        busy = [asyncio.ensure_future(pool.run(release.wait)) for _ in range(2)]
        await asyncio.sleep(0.01)
        with pytest.raises(Overloaded, match="GATEWAY_PREPROCESS_THREADS"):
            await pool.run(release.wait)
        release.set()
        assert await asyncio.gather(*busy) == [True, True]
        assert await pool.run(lambda: 7) == 7  # capacity is given back
        pool.close()

    asyncio.run(main())


def costly_digit() -> bytes:
    page = np.zeros((2500, 2500), np.uint8)  # 6 MB decoded: over the 4 MiB heavy threshold
    page[500:2000, 1150:1350] = 255
    return encode(page)


def test_a_full_heavy_lane_leaves_ordinary_uploads_served(digit_png: bytes) -> None:
    settings = Settings(preprocess_threads=1, preprocess_queue=0, heavy_queue=0)
    with TestClient(create_app(settings, FakePredictor())) as client:
        assert post_png(client, costly_digit()).status_code == 200  # the heavy lane works
        heavy = client.app.state.preprocessing.heavy  # type: ignore[attr-defined]
        heavy.admitted = heavy.capacity  # busy with a flood of costly images
        ordinary = post_png(client, digit_png)
        costly = post_png(client, costly_digit())
    assert ordinary.status_code == 200
    assert (costly.status_code, costly.headers["retry-after"]) == (503, "1")
    assert error_of(costly)["code"] == "overloaded"
    assert "GATEWAY_HEAVY_QUEUE" in error_of(costly)["message"]


def test_a_full_light_lane_is_503(digit_png: bytes) -> None:
    settings = Settings(preprocess_threads=1, preprocess_queue=0)
    with TestClient(create_app(settings, FakePredictor())) as client:
        client.app.state.preprocessing.light.admitted = 1  # type: ignore[attr-defined]
        response = post_png(client, digit_png)
    assert response.status_code == 503
    assert "GATEWAY_PREPROCESS_QUEUE" in error_of(response)["message"]


def test_a_request_whose_images_together_cost_too_much_is_413() -> None:
    settings = Settings(max_request_decoded_bytes=10_000_000)  # two 6 MB pages: 12 MB
    with TestClient(create_app(settings, FakePredictor())) as client:
        files = [("file", (f"{i}.png", costly_digit())) for i in range(2)]
        response = client.post("/predict", files=files)
    assert response.status_code == 413
    assert "GATEWAY_MAX_REQUEST_DECODED_BYTES" in error_of(response)["message"]
