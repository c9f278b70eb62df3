"""The rollout state: which version is `stable`, which is the candidate and how much traffic
it gets. `python -m serving.rollout` writes it; every gateway replica reads it.

It lives in one JSON file beside the live model config (the same volume in compose and
Kubernetes), written atomically (a temporary file, fsync, rename) under an exclusive lock,
so two operators running commands at once cannot corrupt it and a reader never sees half a
file. The gateway's figures per version (`GET /v1/rollout`), which the guard reads, are
described here too, so that both sides parse the same thing.

Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

STABLE = "stable"  # the label (and role) of the version that takes the traffic
CANARY = "canary"  # the label of the candidate, in canary and in shadow mode
SHADOW = "shadow"  # the candidate's role when it gets copies of traffic only
Mode = Literal["canary", "shadow"]

CONFIG_FILE = "models.config"  # the live TF Serving model config
STATE_FILE = "rollout.json"
AUDIT_FILE = "rollout-audit.jsonl"  # one JSON object per decision, appended
LOCK_FILE = ".rollout.lock"
LOCAL_CONFIG_DIR = Path("models/config")  # make demo's: beside its models/mnist
CONTAINER_CONFIG_DIR = Path("/config")  # compose's and Kubernetes' config volume

BUCKETS = 10_000  # a percent is honoured to 0.01
# A gateway re-reads the state this often; a command that changes it waits for the gateways
# (GET /v1/rollout answers the generation applied), or twice this when none answers.
STATE_POLL_SECONDS = 1.0


class StateError(ValueError):
    """The state file is unreadable or says something impossible."""


@dataclass(frozen=True)
class RolloutState:
    """Where unpinned traffic goes. `generation` grows by one with every write."""

    stable: int
    candidate: int | None = None
    mode: Mode | None = None  # None exactly when there is no candidate
    percent: float = 0.0  # share of unpinned traffic sent to the candidate (canary mode)
    generation: int = 0
    updated: str = ""  # ISO 8601, UTC

    def __post_init__(self) -> None:
        if self.stable < 0:
            raise StateError(f"stable version {self.stable} is negative")
        if (self.candidate is None) != (self.mode is None):
            raise StateError("a candidate needs a mode (canary or shadow) and a mode a candidate")
        if self.mode not in (None, CANARY, SHADOW):
            raise StateError(f"mode {self.mode!r} is neither {CANARY!r} nor {SHADOW!r}")
        if not 0.0 <= self.percent <= 100.0:
            raise StateError(f"percent {self.percent} is outside 0..100")
        if self.mode != CANARY and self.percent != 0.0:
            raise StateError("only a canary takes a share of the traffic")
        if self.candidate is not None and self.candidate == self.stable:
            raise StateError(f"version {self.stable} cannot be both stable and candidate")

    def role(self, version: int) -> str | None:
        """`stable`, `canary`, `shadow` or None (not part of the rollout)."""
        if version == self.stable:
            return STABLE
        return self.mode if version == self.candidate else None

    def next(self, **changes: Any) -> RolloutState:
        """This state with `changes`, the next generation, stamped now."""
        return replace(self, **changes, generation=self.generation + 1, updated=utc_now())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RolloutState:
        try:
            data = json.loads(text)
            return cls(**data)
        except (json.JSONDecodeError, TypeError) as exc:
            raise StateError(f"unreadable rollout state: {exc}") from exc


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_state(path: str | Path) -> RolloutState | None:
    """The state in `path`, or None when there is none (an unmanaged deployment)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror}") from exc
    return RolloutState.from_json(text)


def write_atomically(path: str | Path, text: str) -> None:
    """Replace `path` with `text` so that a reader sees the old file or the new, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from other users' readers
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def write_state(path: str | Path, state: RolloutState) -> None:
    write_atomically(path, state.to_json())


@contextlib.contextmanager
def locked(config_dir: str | Path) -> Iterator[None]:
    """Hold the config folder's exclusive lock: one rollout command changes it at a time."""
    Path(config_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(config_dir) / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def bucket(client_id: str) -> int:
    """The client's place in 0..BUCKETS-1, the same in every replica and every restart."""
    digest = hashlib.sha256(client_id.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def goes_to_canary(client_id: str, percent: float) -> bool:
    """Sticky split: a client keeps its side, and raising the percent only adds clients."""
    return bucket(client_id) < round(percent * BUCKETS / 100)


# --- the gateway's figures, as GET /v1/rollout answers them and the guard reads them -------


@dataclass(frozen=True)
class VersionFigures:
    """One version's live figures at one gateway over the last `window_seconds`."""

    version: int
    role: str  # stable, canary or shadow
    requests: int = 0  # answered predictions (served to clients, or shadow copies)
    errors: int = 0  # failed predictions (the model server's fault, not the client's)
    p50_ms: float | None = None
    p99_ms: float | None = None
    mean_confidence: float | None = None
    shadow_compared: int = 0  # candidate answers compared with stable's on the same input
    shadow_agreed: int = 0
    shadow_dropped: int = 0  # copies not sent: too many in flight
    feedback: int = 0  # POST /feedback on this version's answers
    feedback_correct: int = 0

    @property
    def error_rate(self) -> float | None:
        total = self.requests + self.errors
        return self.errors / total if total else None

    @property
    def agreement(self) -> float | None:
        return self.shadow_agreed / self.shadow_compared if self.shadow_compared else None

    @property
    def feedback_accuracy(self) -> float | None:
        return self.feedback_correct / self.feedback if self.feedback else None


@dataclass(frozen=True)
class RolloutFigures:
    """GET /v1/rollout: the state a gateway applies and its figures per version."""

    generation: int | None  # of the state this gateway applies; None when unmanaged
    window_seconds: float
    versions: list[VersionFigures] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RolloutFigures:
        return cls(
            generation=data["generation"],
            window_seconds=data["window_seconds"],
            versions=[VersionFigures(**v) for v in data["versions"]],
        )

    def of(self, role: str) -> VersionFigures | None:
        return next((v for v in self.versions if v.role == role), None)
