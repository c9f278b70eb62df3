"""The rollout's steps, in the order that lets no request fail.

A version takes traffic only once it is AVAILABLE and labelled, and is unloaded only once
every gateway has stopped sending it traffic (they report the state generation they apply
at GET /v1/rollout). Each change goes to the model server first (HandleReloadConfigRequest)
and to the config file after, so a restarted server comes back as the last applied change
left it. Every command holds the config folder's lock from start to end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contract.rollout import (
    CANARY,
    SHADOW,
    STABLE,
    STATE_FILE,
    STATE_POLL_SECONDS,
    Mode,
    RolloutState,
    locked,
    read_state,
    utc_now,
    write_state,
)
from contract.versions import published_versions
from serving.rollout import audit, config
from serving.rollout.errors import RolloutError
from serving.rollout.gateway import Gateways
from serving.rollout.model_server import ModelServer

# A gateway re-reads the state every STATE_POLL_SECONDS: one that has not confirmed a change
# within twice that (and a margin) is unreachable, or not managed; we go on with a warning.
GATEWAY_WAIT_S = 2 * STATE_POLL_SECONDS + 1.0
# A request a gateway routed just before it applied the change may still be on its way to
# the model server (decoding, queued): a moment before the version or label it named goes.
DRAIN_S = 1.0


def served(state: RolloutState) -> tuple[list[int], dict[str, int]]:
    """The versions and labels the model server must have for `state`."""
    if state.candidate is None:
        return [state.stable], {STABLE: state.stable}
    return [state.stable, state.candidate], {STABLE: state.stable, CANARY: state.candidate}


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


@dataclass
class Rollout:
    config_path: Path  # the live models.config; rollout.json lives beside it
    model_base_path: Path  # where the published versions are on this machine
    server: ModelServer
    gateways: Gateways
    say: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep

    @property
    def config_dir(self) -> Path:
        return self.config_path.parent

    @property
    def state_path(self) -> Path:
        return self.config_dir / STATE_FILE

    # ---- reading ---------------------------------------------------------------------------

    def state(self) -> RolloutState:
        state = read_state(self.state_path)
        if state is None:
            raise RolloutError(f"no rollout state at {self.state_path}: run `init` first")
        return state

    def published(self) -> list[int]:
        return published_versions(self.model_base_path)

    # ---- init ------------------------------------------------------------------------------

    def init(self) -> RolloutState:
        """Writes the config and the state where absent; changes nothing that exists."""
        with locked(self.config_dir):
            state = read_state(self.state_path)
            if state is None:
                stable = self._initial_stable()
                state = RolloutState(stable=stable, generation=1, updated=utc_now())
                write_state(self.state_path, state)
                self.say(f"wrote {self.state_path}: stable {stable}")
            if not self.config_path.exists():
                versions, labels = served(state)
                config.write(self.config_path, config.build(versions, labels))
                self.say(f"wrote {self.config_path}: serving {versions}, labels {labels}")
            return state

    def _initial_stable(self) -> int:
        """The live config's stable label when there is one, else the newest published."""
        if self.config_path.exists():
            for model in config.read(self.config_path).model_config_list.config:
                if STABLE in model.version_labels:
                    return int(model.version_labels[STABLE])
        return max(self.published(), default=1)

    # ---- canary and shadow -----------------------------------------------------------------

    def canary(self, version: int, percent: float) -> RolloutState:
        if not 0.0 <= percent <= 100.0:
            raise RolloutError(f"--percent {percent:g} is outside 0..100")
        return self._start(version, "canary", percent)

    def shadow(self, version: int) -> RolloutState:
        return self._start(version, "shadow", 0.0)

    def _start(self, version: int, mode: Mode, percent: float) -> RolloutState:
        with locked(self.config_dir):
            state = self.state()
            self._check_candidate(state, version, mode)
            if state.candidate != version:
                self._load_and_label(state.stable, version)
            new = state.next(candidate=version, mode=mode, percent=percent)
            write_state(self.state_path, new)
            share = f"{percent:g}% of unpinned traffic" if mode == CANARY else "copies of traffic"
            self.say(f"version {version} is the {mode} ({share}); stable stays {state.stable}")
            audit.append(self.config_dir, audit.OPERATOR, mode, **_states(state, new))
            return new

    def _check_candidate(self, state: RolloutState, version: int, mode: Mode) -> None:
        if version not in self.published():
            raise RolloutError(f"version {version} is not on disk in {self.model_base_path}")
        if version == state.stable:
            raise RolloutError(f"version {version} is already stable")
        if state.candidate is not None and state.candidate != version:
            raise RolloutError(
                f"version {state.candidate} is already the {state.mode}: "
                "promote or roll it back first"
            )
        if state.mode == CANARY and mode == SHADOW:
            raise RolloutError(
                f"version {version} already takes traffic as the canary: roll back to shadow it"
            )

    def _load_and_label(self, stable: int, version: int) -> None:
        """Loads `version` beside stable, then labels it canary; backs out if it fails."""
        self.say(f"loading version {version} beside stable {stable} ...")
        self._apply([stable, version], {STABLE: stable})
        try:
            self.server.wait_loaded(version)
            self._apply([stable, version], {STABLE: stable, CANARY: version})
        except RolloutError:
            self._apply([stable], {STABLE: stable})  # unload the failed candidate
            raise

    # ---- promote and rollback --------------------------------------------------------------

    def promote(self, by: str = audit.OPERATOR, **details: object) -> RolloutState:
        with locked(self.config_dir):
            state = self.state()
            if state.candidate is None:
                raise RolloutError("there is no candidate to promote (no canary or shadow)")
            old, version = state.stable, state.candidate
            # Both labels on the new version first: every request, split or not, goes there.
            self._apply([old, version], {STABLE: version, CANARY: version})
            new = state.next(stable=version, candidate=None, mode=None, percent=0.0)
            self._publish(new)
            self._apply([version], {STABLE: version})  # no gateway sends to `old` any more
            self.say(f"promoted version {version} to stable; version {old} unloaded")
            audit.append(self.config_dir, by, "promote", **_states(state, new), **details)
            return new

    def rollback(self, by: str = audit.OPERATOR, **details: object) -> RolloutState:
        with locked(self.config_dir):
            state = self.state()
            if state.candidate is None:
                raise RolloutError("there is no candidate to roll back (no canary or shadow)")
            new = state.next(candidate=None, mode=None, percent=0.0)
            self._publish(new)  # the gateways stop sending to the candidate first
            self._apply([state.stable], {STABLE: state.stable})
            self.say(f"rolled back version {state.candidate}; stable stays {state.stable}")
            audit.append(self.config_dir, by, "rollback", **_states(state, new), **details)
            return new

    def set_percent(self, percent: float, **details: object) -> RolloutState:
        """The guard's step: the canary's share, nothing to load."""
        with locked(self.config_dir):
            state = self.state()
            if state.candidate is None:
                raise RolloutError("there is no candidate to give traffic to")
            new = state.next(mode=CANARY, percent=percent)
            self._publish(new)  # the step starts once the gateways split the new way
            audit.append(self.config_dir, audit.GUARD, "advance", **_states(state, new), **details)
            return new

    # ---- steps -----------------------------------------------------------------------------

    def _apply(self, versions: list[int], labels: dict[str, int]) -> None:
        """The model server first, the file after (the file is what a restart reads)."""
        applied = self.server.reload(versions, labels)
        config.write(self.config_path, applied)

    def _publish(self, state: RolloutState) -> None:
        """Writes the state, waits until the gateways apply it and their requests routed
        the old way are through."""
        write_state(self.state_path, state)
        behind = self.gateways.wait_for_generation(state.generation, GATEWAY_WAIT_S)
        for url in behind:
            warn(
                f"gateway {url} did not confirm rollout generation {state.generation} "
                f"within {GATEWAY_WAIT_S:g} s; going on"
            )
        self.sleep(DRAIN_S)


def _states(before: RolloutState, after: RolloutState) -> dict[str, object]:
    return {
        "stable": after.stable,
        "candidate": before.candidate if after.candidate is None else after.candidate,
        "percent_before": before.percent,
        "percent": after.percent,
        "generation": after.generation,
    }
