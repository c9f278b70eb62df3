"""Which versions to load and unload: TF Serving's availability-preserving policy, stateless.

Pure functions of the model's version policy, the versions on disk and the states of the
versions held, so that the manager only applies decisions and every rule is a table in the
tests. The manager asks again after applying a decision, until there is nothing to do:
- the version policy (latest N, all, specific) says which versions on disk are wanted;
- a wanted version is loaded when it is not held yet, or ended and worth another try (it
  was unloaded, or it failed and its folder changed since);
- loads come before unloads, and an unwanted version is unloaded only once a wanted version
  is AVAILABLE or none is wanted, so the model never goes without a serving version.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

from tensorflow_serving.apis import get_model_status_pb2
from tensorflow_serving.config.file_system_storage_path_source_pb2 import (
    FileSystemStoragePathSourceConfig,
)

from serving.model_server.source import Fingerprint

State = get_model_status_pb2.ModelVersionStatus.State
VersionPolicy: TypeAlias = FileSystemStoragePathSourceConfig.ServableVersionPolicy


class Held(Protocol):
    """What the policy reads of a version the manager holds."""

    @property
    def state(self) -> int: ...

    @property
    def failed(self) -> bool: ...

    @property
    def fingerprint(self) -> Fingerprint: ...


@dataclass(frozen=True)
class Decision:
    load: list[int] = field(default_factory=list)  # highest first: the newest serves soonest
    unload: list[int] = field(default_factory=list)  # lowest first

    def __bool__(self) -> bool:
        return bool(self.load or self.unload)


def wanted_versions(policy: VersionPolicy, on_disk: Iterable[int]) -> set[int]:
    """The versions the model's version policy asks for among those on disk."""
    present = set(on_disk)
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return present
    if choice == "specific":
        return set(policy.specific.versions) & present
    # latest, the default; TF Serving serves at least one version.
    count = max(policy.latest.num_versions, 1)
    return set(sorted(present)[-count:])


def versions_to_load(
    wanted: set[int], on_disk: Mapping[int, Fingerprint], held: Mapping[int, Held]
) -> list[int]:
    """Wanted versions not held, or ended and worth another try; highest first."""
    return sorted((v for v in wanted if _loadable(held.get(v), on_disk[v])), reverse=True)


def _loadable(version: Held | None, on_disk: Fingerprint) -> bool:
    if version is None:
        return True
    if version.state != State.END:
        return False  # loading, serving or unloading already
    # Ended by an unload (wanted again), or by a failure: retried once its folder changed.
    return not version.failed or version.fingerprint != on_disk


def versions_to_unload(wanted: set[int], held: Mapping[int, Held]) -> list[int]:
    """Unwanted AVAILABLE versions, once a wanted one is AVAILABLE or none is wanted."""
    available = {v for v, version in held.items() if version.state == State.AVAILABLE}
    if wanted and not wanted & available:
        return []  # availability first: the old version serves until a new one does
    return sorted(available - wanted)


def decide(
    policy: VersionPolicy, on_disk: Mapping[int, Fingerprint], held: Mapping[int, Held]
) -> Decision:
    """The next loads and unloads for one model; empty when it is where the policy wants."""
    wanted = wanted_versions(policy, on_disk)
    return Decision(versions_to_load(wanted, on_disk, held), versions_to_unload(wanted, held))
