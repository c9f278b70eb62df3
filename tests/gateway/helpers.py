"""Helpers for the gateway's tests: reading the error body, posting a raw image."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

PNG = {"content-type": "image/png"}


def error_of(response: httpx.Response) -> dict[str, str]:
    """The `{"code", "message"}` of an error answer."""
    error: dict[str, str] = response.json()["error"]
    return error


def post_png(client: TestClient, image: bytes, query: str = "", **headers: str) -> httpx.Response:
    """POST /predict with the image as the raw body (`query` without its `?`)."""
    url = f"/predict?{query}" if query else "/predict"
    return client.post(url, content=image, headers={**PNG, **headers})
