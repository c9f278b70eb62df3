"""Version lifecycle: polls each model's base path, loads and unloads versions, keeps labels.

As TF Serving's AspiredVersionsManager with its availability-preserving policy:
- integer folders are versions, anything else (staging folders) is ignored;
- the policy (latest N, all, specific) says which versions should be served;
- a new version is loaded and warmed up before the version it replaces is unloaded, and an
  unloading version first waits for the requests holding it;
- a version that fails to load ends in END with its error and changes nothing else; it is
  tried again only when its folder changes;
- a version label may point only at an AVAILABLE version.
"""

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from tensorflow_serving.apis import get_model_status_pb2

from serving.model_server.config import ModelConfig, ModelServerConfig
from serving.model_server.errors import ServingError, invalid_argument, not_found
from serving.model_server.metrics import Metrics
from serving.model_server.servable import LoadError, Servable

log = logging.getLogger(__name__)

State = get_model_status_pb2.ModelVersionStatus.State
UNLOAD_WAIT_SECONDS = 60.0  # bound on waiting for in-flight requests of an unloading version


@dataclass
class VersionEntry:
    version: int
    state: int = State.START
    servable: Servable | None = None
    error_code: grpc.StatusCode = grpc.StatusCode.OK
    error_message: str = ""
    fingerprint: tuple[int, ...] = ()
    in_flight: int = 0


@dataclass
class ModelEntry:
    config: ModelConfig
    versions: dict[int, VersionEntry] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Handle:
    """A version held for the duration of a request."""

    model_name: str
    version: int
    servable: Servable


def versions_on_disk(base_path: Path) -> dict[int, Path]:
    try:
        names = os.listdir(base_path)
    except OSError as exc:
        log.warning("cannot list base path %s: %s", base_path, exc.strerror)
        return {}
    return {
        int(name): base_path / name
        for name in names
        if name.isascii() and name.isdigit() and (base_path / name).is_dir()
    }


def desired_versions(config: ModelConfig, on_disk: set[int]) -> set[int]:
    policy = config.model_version_policy
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return set(on_disk)
    if choice == "specific":
        return set(policy.specific.versions) & on_disk
    # latest, the default; TF Serving serves at least one version.
    count = max(policy.latest.num_versions, 1)
    return set(sorted(on_disk)[-count:])


def _fingerprint(path: Path) -> tuple[int, ...]:
    """Changes when a failed version folder is rewritten, so it is tried again."""
    stamps = []
    for candidate in (path, path / "saved_model.pb", path / "variables"):
        try:
            info = candidate.stat()
            stamps += [info.st_mtime_ns, info.st_size]
        except OSError:
            stamps += [0, 0]
    return tuple(stamps)


class ModelManager:
    """Owns every loaded version; thread-safe; polled by one background thread."""

    def __init__(
        self,
        metrics: Metrics,
        warmup_iterations: int | None = 1,
        poll_seconds: float = 1.0,
    ):
        self._metrics = metrics
        self._warmup_iterations = warmup_iterations
        self._poll_seconds = poll_seconds
        self._models: dict[str, ModelEntry] = {}
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)
        self._reconfigure = threading.RLock()  # one poll pass or reload at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- configuration -------------------------------------------------------------------

    def start(self, config: ModelServerConfig) -> None:
        """Loads the configured models (blocking, as TF Serving does), then polls."""
        self.apply_config(config)
        if self._poll_seconds > 0:
            self._thread = threading.Thread(target=self._poll_loop, name="fs-poll", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def apply_config(self, config: ModelServerConfig) -> None:
        """Applies a model_config_list: adds, removes, re-polls models, then sets labels.

        Raises ServingError(FAILED_PRECONDITION) when a label names a version that is not
        AVAILABLE; the models are reconfigured anyway and the old labels stay, as in TF
        Serving's ServerCore::ReloadConfig.
        """
        with self._reconfigure:
            wanted = {model.name: model for model in config.model_config_list.config}
            with self._lock:
                removed = [name for name in self._models if name not in wanted]
                for name, model_config in wanted.items():
                    entry = self._models.setdefault(name, ModelEntry(model_config))
                    entry.config = model_config
            for name in removed:
                self._remove_model(name)
            self.poll_once()
            self._apply_labels(wanted)

    def _apply_labels(self, wanted: dict[str, ModelConfig]) -> None:
        with self._lock:
            for name, model_config in wanted.items():
                entry = self._models[name]
                for _label, version in model_config.version_labels.items():
                    held = entry.versions.get(version)
                    if held is None or held.state != State.AVAILABLE:
                        raise ServingError(
                            grpc.StatusCode.FAILED_PRECONDITION,
                            f"Request to assign label to version {version} of model {name}, "
                            "which is not currently available for inference",
                        )
            for name, model_config in wanted.items():
                self._models[name].labels = dict(model_config.version_labels)

    def _remove_model(self, name: str) -> None:
        with self._lock:
            entry = self._models[name]
            loaded = [v for v in entry.versions.values() if v.state == State.AVAILABLE]
        for version_entry in loaded:
            self._unload(name, version_entry)
        with self._lock:
            del self._models[name]
            self._metrics.loaded_versions.set(0, model_name=name)

    # ---- polling ---------------------------------------------------------------------------

    def _poll_loop(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            try:
                self.poll_once()
            except Exception:  # keep polling whatever one pass hit
                log.exception("file system poll failed")

    def poll_once(self) -> None:
        with self._reconfigure:
            with self._lock:
                models = {name: entry.config for name, entry in self._models.items()}
            for name, model_config in models.items():
                if self._stop.is_set():
                    return
                self._poll_model(name, model_config)

    def _poll_model(self, name: str, model_config: ModelConfig) -> None:
        on_disk = versions_on_disk(Path(model_config.base_path))
        desired = desired_versions(model_config, set(on_disk))
        for version in sorted(desired, reverse=True):
            if self._needs_load(name, version, on_disk[version]):
                self._load(name, version, on_disk[version])
        with self._lock:
            versions = self._models[name].versions
            available = {v for v, e in versions.items() if e.state == State.AVAILABLE}
        # Availability first: retire versions only once a wanted one serves (or none is wanted).
        if desired & available or not desired:
            for version in sorted(available - desired):
                self._unload(name, versions[version])

    def _needs_load(self, name: str, version: int, path: Path) -> bool:
        with self._lock:
            entry = self._models[name].versions.get(version)
            if entry is None:
                return True
            if entry.state != State.END:
                return False
            # END after an unload (folder wanted again) or after a failure (folder rewritten).
            return entry.error_code == grpc.StatusCode.OK or entry.fingerprint != _fingerprint(path)

    def _load(self, name: str, version: int, path: Path) -> None:
        entry = VersionEntry(version, State.LOADING, fingerprint=_fingerprint(path))
        with self._lock:
            self._models[name].versions[version] = entry
        log.info("Loading servable: {name: %s version: %d} from %s", name, version, path)
        try:
            servable = Servable.load(path)
            warmed = servable.warm_up(self._warmup_iterations) if self._warmup_iterations else 0
        except LoadError as exc:
            log.error("Loading servable: {name: %s version: %d} failed: %s", name, version, exc)
            self._metrics.load_attempt_count.inc(model_path=str(path), status="fail")
            with self._lock:
                entry.state, entry.error_code, entry.error_message = State.END, exc.code, str(exc)
            return
        self._metrics.load_attempt_count.inc(model_path=str(path), status="success")
        self._metrics.warmup_request_count.inc(warmed, model_name=name, version=str(version))
        with self._lock:
            entry.servable, entry.state = servable, State.AVAILABLE
            self._update_gauge(name)
        log.info("Successfully loaded servable version {name: %s version: %d}", name, version)

    def _unload(self, name: str, entry: VersionEntry) -> None:
        with self._lock:
            entry.state = State.UNLOADING
            self._update_gauge(name)
            # Requests holding this version finish first (bounded, in case one hangs).
            if not self._released.wait_for(lambda: entry.in_flight == 0, UNLOAD_WAIT_SECONDS):
                log.warning("unloading %s version %d with requests in flight", name, entry.version)
            entry.servable, entry.state = None, State.END
        log.info("Unloaded servable version {name: %s version: %d}", name, entry.version)

    def _update_gauge(self, name: str) -> None:
        versions = self._models[name].versions.values()
        available = sum(1 for entry in versions if entry.state == State.AVAILABLE)
        self._metrics.loaded_versions.set(available, model_name=name)

    # ---- serving ---------------------------------------------------------------------------

    @contextmanager
    def acquire(self, name: str, version: int | None = None, label: str = "") -> Iterator[Handle]:
        """Holds a version for one request; NOT_FOUND as TF Serving words it."""
        entry = self._resolve(name, version, label)
        try:
            assert entry.servable is not None
            yield Handle(name, entry.version, entry.servable)
        finally:
            with self._lock:
                entry.in_flight -= 1
                if entry.in_flight == 0:
                    self._released.notify_all()

    def _resolve(self, name: str, version: int | None, label: str) -> VersionEntry:
        with self._lock:
            model = self._models.get(name)
            version = _labelled_version(model, version, label)
            if version is None:
                request = f"Latest({name})"
                candidates = [] if model is None else list(model.versions.values())
                serving = [e for e in candidates if e.state == State.AVAILABLE]
                entry = max(serving, key=lambda e: e.version) if serving else None
            else:
                request = f"Specific({name}, {version})"
                entry = None if model is None else model.versions.get(version)
            if entry is None or entry.state != State.AVAILABLE:
                raise not_found(f"Servable not found for request: {request}")
            entry.in_flight += 1
            return entry

    def status(self, name: str, version: int | None = None, label: str = "") -> list[VersionEntry]:
        """Version states, highest first; NOT_FOUND with TF Serving's messages."""
        with self._lock:
            model = self._models.get(name)
            version = _labelled_version(model, version, label)
            entries = (
                [] if model is None else sorted(model.versions.values(), key=lambda e: -e.version)
            )
            if version is not None:
                entries = [e for e in entries if e.version == version]
                if not entries:
                    raise not_found(f"Could not find version {version} of model {name}")
            if not entries:
                raise not_found(f"Could not find any versions of model {name}")
            return [VersionEntry(**vars(e)) for e in entries]


def _labelled_version(model: ModelEntry | None, version: int | None, label: str) -> int | None:
    """The version a label points at, else `version`; INVALID_ARGUMENT for an unknown label."""
    if not label:
        return version
    if model is None or label not in model.labels:
        raise invalid_argument(f"Unrecognized servable version label: {label}")
    return model.labels[label]
