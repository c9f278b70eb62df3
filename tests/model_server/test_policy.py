"""The availability-preserving policy's decisions, table by table (pure functions, in process)."""

from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from google.protobuf import text_format

from serving.model_server.policy import (
    Decision,
    State,
    VersionPolicy,
    decide,
    versions_to_load,
    versions_to_unload,
    wanted_versions,
)
from serving.model_server.source import Fingerprint

OLD: Fingerprint = (1, 1)
NEW: Fingerprint = (2, 2)  # the same folder, rewritten


@dataclass(frozen=True)
class Held:
    state: int
    failed: bool = False
    fingerprint: Fingerprint = OLD


AVAILABLE = Held(State.AVAILABLE)
LOADING = Held(State.LOADING)
UNLOADING = Held(State.UNLOADING)
UNLOADED = Held(State.END)
FAILED = Held(State.END, failed=True)


def policy(text: str) -> VersionPolicy:
    return text_format.Parse(text, VersionPolicy())


def on_disk(*versions: int) -> dict[int, Fingerprint]:
    return dict.fromkeys(versions, OLD)


@pytest.mark.parametrize(
    ("version_policy", "disk", "wanted"),
    [
        ("", {1, 2, 3}, {3}),  # latest, the default, of one version
        ("latest { num_versions: 0 }", {1, 2, 3}, {3}),  # at least one
        ("latest { num_versions: 2 }", {1, 2, 3}, {2, 3}),
        ("latest { num_versions: 5 }", {1, 2, 3}, {1, 2, 3}),
        ("latest { num_versions: 2 }", {10, 9, 100}, {10, 100}),  # numbers, not names
        ("all {}", {1, 2, 3}, {1, 2, 3}),
        ("specific { versions: 2 versions: 7 }", {1, 2, 3}, {2}),  # 7 is not on disk
        ("", set(), set()),
        ("all {}", set(), set()),
    ],
)
def test_the_version_policy_picks_the_wanted_versions_on_disk(
    version_policy: str, disk: set[int], wanted: set[int]
) -> None:
    assert wanted_versions(policy(version_policy), disk) == wanted


@pytest.mark.parametrize(
    ("wanted", "disk", "held", "load"),
    [
        ({2}, on_disk(1, 2), {1: AVAILABLE}, [2]),  # newly published
        ({1, 2, 3}, on_disk(1, 2, 3), {}, [3, 2, 1]),  # highest first: the newest serves soonest
        ({2}, on_disk(2), {2: LOADING}, []),
        ({2}, on_disk(2), {2: AVAILABLE}, []),
        ({2}, on_disk(2), {2: UNLOADING}, []),
        ({2}, on_disk(2), {2: UNLOADED}, [2]),  # wanted again after an unload
        ({2}, on_disk(2), {2: FAILED}, []),  # failed, folder unchanged: not retried
        ({2}, {2: NEW}, {2: FAILED}, [2]),  # failed, folder rewritten: retried
        (set(), on_disk(1), {1: AVAILABLE}, []),
    ],
)
def test_versions_to_load(
    wanted: set[int], disk: dict[int, Fingerprint], held: Mapping[int, Held], load: list[int]
) -> None:
    assert versions_to_load(wanted, disk, held) == load


@pytest.mark.parametrize(
    ("wanted", "held", "unload"),
    [
        ({2}, {1: AVAILABLE, 2: LOADING}, []),  # the old serves until the new does
        ({2}, {1: AVAILABLE, 2: AVAILABLE}, [1]),
        ({2}, {1: AVAILABLE, 2: FAILED}, []),  # a failed new version retires nothing
        ({2}, {1: AVAILABLE}, []),  # the new one not even started
        ({3}, {1: AVAILABLE, 2: AVAILABLE, 3: AVAILABLE}, [1, 2]),  # lowest first
        ({2, 3}, {1: AVAILABLE, 2: AVAILABLE, 3: LOADING}, [1]),  # one wanted serves: enough
        (set(), {1: AVAILABLE, 2: AVAILABLE}, [1, 2]),  # none wanted (folder emptied)
        (set(), {1: UNLOADING, 2: UNLOADED, 3: FAILED}, []),  # only AVAILABLE is unloaded
        ({1}, {1: AVAILABLE}, []),
    ],
)
def test_versions_to_unload(wanted: set[int], held: Mapping[int, Held], unload: list[int]) -> None:
    assert versions_to_unload(wanted, held) == unload


def _apply(
    decision: Decision, held: dict[int, Held], outcome: Mapping[int, Held]
) -> dict[int, Held]:
    """The manager's part: loads end as `outcome` says (AVAILABLE by default), unloads END."""
    after = dict(held)
    for version in decision.load:
        after[version] = outcome.get(version, AVAILABLE)
    for version in decision.unload:
        after[version] = UNLOADED
    return after


@pytest.mark.parametrize(
    ("version_policy", "disk", "held", "outcome", "steps"),
    [
        # A new version: loaded first, the old one unloaded on the next decision.
        ("", on_disk(1, 2), {1: AVAILABLE}, {}, [Decision([2], []), Decision([], [1])]),
        # A new version that fails: the old one keeps serving.
        ("", on_disk(1, 2), {1: AVAILABLE}, {2: FAILED}, [Decision([2], [])]),
        # Start-up with two versions wanted.
        ("all {}", on_disk(1, 2), {}, {}, [Decision([2, 1], [])]),
        # A pinned version: the others go once it serves.
        (
            "specific { versions: 1 }",
            on_disk(1, 2),
            {2: AVAILABLE},
            {},
            [Decision([1], []), Decision([], [2])],
        ),
        # The folder emptied: everything goes, nothing is loaded.
        ("", {}, {1: AVAILABLE}, {}, [Decision([], [1])]),
        # The wanted one serves and a third arrives: load and unload in one decision.
        (
            "latest { num_versions: 2 }",
            on_disk(1, 2, 3),
            {1: AVAILABLE, 2: AVAILABLE},
            {},
            [Decision([3], [1])],
        ),
    ],
)
def test_decisions_until_the_model_is_where_the_policy_wants_it(
    version_policy: str,
    disk: dict[int, Fingerprint],
    held: dict[int, Held],
    outcome: Mapping[int, Held],
    steps: list[Decision],
) -> None:
    seen = []
    while decision := decide(policy(version_policy), disk, held):
        seen.append(decision)
        held = _apply(decision, held, outcome)
        assert len(seen) <= len(steps), seen
    assert seen == steps
