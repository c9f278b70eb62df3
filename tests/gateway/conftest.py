"""Helpers for the gateway tests: MNIST-like digits as image files, an app on a fake predictor."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from serving.gateway.main import create_app
from serving.gateway.predictor import FakePredictor
from serving.gateway.settings import Settings


def synthetic_digit(height: int = 17, width: int = 11) -> np.ndarray:
    """A uint8 28×28 light-on-dark ring (a zero), its centre of mass at (14, 14) as in MNIST."""
    image = np.zeros((28, 28), dtype=np.uint8)
    top, left = 14 - (height - 1) // 2, 14 - (width - 1) // 2
    image[top : top + height, left : left + 2] = 255
    image[top : top + height, left + width - 2 : left + width] = 255
    image[top : top + 2, left : left + width] = 255
    image[top + height - 2 : top + height, left : left + width] = 255
    return image


def encode(array: np.ndarray | Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image = array if isinstance(array, Image.Image) else Image.fromarray(array)
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture
def digit_png() -> bytes:
    return encode(synthetic_digit())


@pytest.fixture
def fake_predictor() -> FakePredictor:
    return FakePredictor(versions={1: "AVAILABLE", 2: "AVAILABLE"}, labels={"stable": 1})


@pytest.fixture
def small_limits() -> Settings:
    return Settings(max_upload_bytes=200_000, max_pixels=1_000_000, max_images=4)


@pytest.fixture
def client(fake_predictor: FakePredictor, small_limits: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(small_limits, fake_predictor)) as test_client:
        yield test_client
