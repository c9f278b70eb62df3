"""Helpers for the gateway's tests: reading the error body, posting a raw image, an app
applying a rollout state, reading a metric."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from contract.rollout import RolloutState, write_state
from serving.gateway.main import create_app
from serving.gateway.settings import Settings
from tests.gateway.fakes import FakePredictor

PNG = {"content-type": "image/png"}


def error_of(response: httpx.Response) -> dict[str, str]:
    """The `{"code", "message"}` of an error answer."""
    error: dict[str, str] = response.json()["error"]
    return error


def post_png(client: TestClient, image: bytes, query: str = "", **headers: str) -> httpx.Response:
    """POST /predict with the image as the raw body (`query` without its `?`)."""
    url = f"/predict?{query}" if query else "/predict"
    return client.post(url, content=image, headers={**PNG, **headers})


@contextmanager
def managed(
    predictor: FakePredictor, state_file: Path, state: RolloutState | None, **settings: Any
) -> Iterator[TestClient]:
    """A TestClient of an app applying the state in `state_file` (`state` written first)."""
    if state is not None:
        write_state(state_file, state)
    app = create_app(Settings(rollout_state=str(state_file), **settings), predictor)
    with TestClient(app) as test_client:
        yield test_client


def metric(client: TestClient, name: str, **labels: str) -> float:
    """A sample's value in GET /metrics (0 when absent: the registry is the process's, so
    tests compare before and after)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # as exposed
    selector = f"{{{wanted}}}" if labels else ""
    pattern = rf"^{re.escape(name + selector)} (\S+)$"
    found = re.search(pattern, client.get("/metrics").text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0
