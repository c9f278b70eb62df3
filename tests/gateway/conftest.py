"""Fixtures of the gateway tests: a digit as a PNG file, an app on a fake predictor, a fake
with a rollout's two labelled versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.gateway.main import create_app
from serving.gateway.settings import Settings
from tests.fixtures.images import encode, synthetic_digit
from tests.gateway.fakes import FakePredictor


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


@pytest.fixture
def rollout_predictor() -> FakePredictor:
    """Two versions, labelled as a rollout leaves them: 1 stable, 2 the candidate."""
    return FakePredictor(
        versions={1: "AVAILABLE", 2: "AVAILABLE"}, labels={"stable": 1, "canary": 2}
    )


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "rollout.json"
