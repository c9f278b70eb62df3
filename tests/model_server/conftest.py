"""Fixtures of the in-process model-server tests: a base path, a fake loader, a manager.

base     a model base path holding version 1 (an empty folder)
loader   a FakeLoader (tests/model_server/fakes.py)
manager  a ModelManager on that loader, not polling (tests call poll_once), stopped after
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.model_server.manager import ModelManager
from serving.model_server.metrics import Metrics
from tests.model_server.fakes import FakeLoader


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "mnist" / "1").mkdir(parents=True)
    return tmp_path / "mnist"


@pytest.fixture
def loader() -> FakeLoader:
    return FakeLoader()


@pytest.fixture
def manager(loader: FakeLoader) -> Iterator[ModelManager]:
    manager = ModelManager(Metrics(), warmup_iterations=1, poll_seconds=0, load=loader)
    yield manager
    manager.stop()
