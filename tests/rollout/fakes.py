"""Fakes for the rollout's in-process tests: a model server and gateways that record what
they were asked, in one shared journal, so a test can check the order of the steps."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from contract.rollout import STATE_FILE, RolloutFigures, read_state
from serving.rollout import config
from serving.rollout.errors import RolloutError
from serving.rollout.gateway import Gateways
from serving.rollout.model_server import ModelServer, VersionState


class FakeModelServer(ModelServer):
    """Loads every version at once, except those in `failing`; journals each reload."""

    def __init__(self, journal: list[str]) -> None:
        self.target, self.name, self.base_path = "fake:8500", "mnist", config.CONTAINER_BASE_PATH
        self.journal = journal
        self.failing: dict[int, str] = {}
        self.held: dict[int, VersionState] = {}
        self.labels: dict[str, int] = {}
        self.unreachable = False

    def close(self) -> None:
        pass

    def reload(self, versions: list[int], labels: Mapping[str, int]) -> config.ModelServerConfig:
        if self.unreachable:
            raise RolloutError(f"model server {self.target} unreachable (UNAVAILABLE)")
        for version in set(self.held) - set(versions):
            self.held[version] = VersionState(version, "END", self.held[version].error)
        for version in versions:
            error = self.failing.get(version, "")
            self.held[version] = VersionState(version, "END" if error else "AVAILABLE", error)
        for version in labels.values():
            if self.held[version].state != "AVAILABLE":
                raise RolloutError(f"the model server refused: label on version {version}")
        self.labels = dict(labels)
        self.journal.append(f"reload {sorted(versions)} {sorted(labels.items())}")
        return config.build(versions, labels)

    def states(self) -> dict[int, VersionState]:
        return dict(self.held)


class FakeGateways(Gateways):
    """Gateways that apply whatever state is on disk when asked (or never: `reachable`)."""

    def __init__(self, journal: list[str], config_dir: Path) -> None:
        self.urls = ["http://gateway"]
        self.journal = journal
        self.state_path = config_dir / STATE_FILE
        self.reachable = True
        self.answers: list[RolloutFigures] = []  # figures() answers these in turn, then the last
        self.windows: list[float | None] = []  # the windows asked for

    def close(self) -> None:
        pass

    def figures(self, window_seconds: float | None = None) -> dict[str, RolloutFigures | None]:
        self.windows.append(window_seconds)
        if not self.reachable or not self.answers:
            return {self.urls[0]: None}
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return {self.urls[0]: answer}

    def wait_for_generation(self, generation: int, timeout: float) -> list[str]:
        state = read_state(self.state_path)
        applied = state.generation if state is not None else None
        self.journal.append(f"gateways at generation {applied}")
        return [] if self.reachable else list(self.urls)
