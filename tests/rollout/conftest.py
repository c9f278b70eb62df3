"""Fixtures of the rollout's in-process tests.

models   a model base path with version 1 published (an empty folder)
journal  the fakes' shared record of what was asked, in order
rollout  a Rollout on a config folder in tmp, a FakeModelServer and FakeGateways, initialised
         (stable 1, serving it); then version 2 is published, staged only
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.rollout import CONFIG_FILE
from serving.rollout.operations import Rollout
from tests.rollout.fakes import FakeGateways, FakeModelServer


@pytest.fixture
def models(tmp_path: Path) -> Path:
    (tmp_path / "models" / "mnist" / "1").mkdir(parents=True)
    return tmp_path / "models" / "mnist"


@pytest.fixture
def journal() -> list[str]:
    return []


@pytest.fixture
def rollout(tmp_path: Path, models: Path, journal: list[str]) -> Rollout:
    config_dir = tmp_path / "config"
    server, gateways = FakeModelServer(journal), FakeGateways(journal, config_dir)
    made = Rollout(config_dir / CONFIG_FILE, models, server, gateways, say=no_output, sleep=no_wait)
    made.init()
    server.reload([1], {"stable": 1})  # the model server started on the live config
    (models / "2").mkdir()
    journal.clear()
    return made


def no_output(_: str) -> None:
    pass


def no_wait(_: float) -> None:
    pass
