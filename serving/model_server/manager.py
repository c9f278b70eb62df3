"""Applies the policy's decisions: loads, warms and unloads versions, and hands them out.

As TF Serving's AspiredVersionsManager: each pass (a poll of the base paths, or a config
reload) asks `policy.decide` what to do for each model and does it, until nothing is left
to do; a version that fails to load ends in END with its error and disturbs nothing else;
an unloading version first waits for the requests holding it.

Locking: one lock guards all state and is never held while a version loads. Its condition
wakes an unload waiting for a version's last request, a pass waiting for the one before it
(passes run one at a time), and the poll thread when the manager stops.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from tensorflow_serving.apis import get_model_status_pb2

from serving.model_server.config import ModelConfig, ModelServerConfig
from serving.model_server.errors import LoadError, not_found
from serving.model_server.labels import check_assignable, labelled_version
from serving.model_server.metrics import Metrics
from serving.model_server.policy import decide, versions_to_unload
from serving.model_server.servable import Servable
from serving.model_server.source import Fingerprint, VersionDir, VersionSource

log = logging.getLogger(__name__)

State = get_model_status_pb2.ModelVersionStatus.State
UNLOAD_WAIT_SECONDS = 60.0  # bound on waiting for in-flight requests of an unloading version
Loader = Callable[[Path], Servable]  # raises LoadError


@dataclass
class _Version:
    state: int
    fingerprint: Fingerprint = ()
    servable: Servable | None = None
    error_code: grpc.StatusCode = grpc.StatusCode.OK
    error_message: str = ""
    in_flight: int = 0

    @property
    def failed(self) -> bool:
        return self.error_code != grpc.StatusCode.OK

    @property
    def serving(self) -> Servable | None:
        """The servable while AVAILABLE: what a request may hold."""
        return self.servable if self.state == State.AVAILABLE else None


@dataclass
class _Model:
    config: ModelConfig
    versions: dict[int, _Version] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)

    def available(self) -> set[int]:
        return {v for v, version in self.versions.items() if version.state == State.AVAILABLE}


@dataclass(frozen=True)
class Retries:
    """--max_num_load_retries and --load_retry_interval_micros: a failed load is tried again
    `count` more times, `interval` seconds apart, before the version ends in error."""

    count: int = 0
    interval: float = 0.0


@dataclass(frozen=True)
class Handle:
    """A version held for the duration of a request."""

    version: int
    servable: Servable


@dataclass(frozen=True)
class VersionStatus:
    version: int
    state: int
    error_code: grpc.StatusCode
    error_message: str


class ModelManager:
    """Owns every loaded version; thread-safe; polled by one background thread."""

    def __init__(
        self,
        metrics: Metrics,
        warmup_iterations: int | None = 1,
        poll_seconds: float = 1.0,
        load: Loader = Servable.load,
        retries: Retries = Retries(),
        allow_unavailable_labels: bool = False,
    ):
        self._metrics = metrics
        self._warmup_iterations = warmup_iterations
        self._poll_seconds = poll_seconds
        self._load_servable = load
        self._retries = retries
        self._allow_unavailable_labels = allow_unavailable_labels
        self._source = VersionSource()
        self._models: dict[str, _Model] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._in_pass = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    # ---- life cycle ------------------------------------------------------------------------

    def start(self, config: ModelServerConfig) -> None:
        """Loads the configured models (blocking, as TF Serving does), then polls."""
        self.apply_config(config)
        if self._poll_seconds > 0:
            self._thread = threading.Thread(target=self._poll_loop, name="fs-poll", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _poll_loop(self) -> None:
        while not self._stopped_within(self._poll_seconds):
            try:
                self.poll_once()
            except Exception:  # keep polling whatever one pass hit
                log.exception("file system poll failed")

    def _stopped_within(self, seconds: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._stopping, seconds)

    # ---- passes ----------------------------------------------------------------------------

    @contextmanager
    def _one_pass(self) -> Iterator[None]:
        """Passes run one at a time, without holding the lock while they load."""
        with self._changed:
            self._changed.wait_for(lambda: not self._in_pass)
            self._in_pass = True
        try:
            yield
        finally:
            with self._changed:
                self._in_pass = False
                self._changed.notify_all()

    def poll_once(self) -> None:
        with self._one_pass():
            self._reconcile_all()

    def apply_config(self, config: ModelServerConfig) -> None:
        """Applies a model_config_list: adds, removes, re-polls models, then sets labels.

        Raises ServingError(FAILED_PRECONDITION) when a label names a version that is not
        AVAILABLE; the models are reconfigured anyway and the old labels stay, as in TF
        Serving's ServerCore::ReloadConfig.
        """
        wanted = {model.name: model for model in config.model_config_list.config}
        with self._one_pass():
            for name in self._set_configs(wanted):
                self._retire(name)
            self._reconcile_all()
            self._assign_labels(wanted)

    def _set_configs(self, wanted: dict[str, ModelConfig]) -> list[str]:
        """Records the new configs; returns the models no longer configured."""
        with self._lock:
            for name, model_config in wanted.items():
                self._models.setdefault(name, _Model(model_config)).config = model_config
            return [name for name in self._models if name not in wanted]

    def _retire(self, name: str) -> None:
        """Unloads every version of a model no longer configured, then forgets it."""
        with self._lock:
            unload = versions_to_unload(set(), self._models[name].versions)
        for version in unload:
            self._unload(name, version)
        with self._lock:
            del self._models[name]
            self._metrics.loaded_versions.set(0, model_name=name)

    def _reconcile_all(self) -> None:
        with self._lock:
            configs = {name: model.config for name, model in self._models.items()}
        for name, model_config in configs.items():
            self._reconcile(name, model_config)

    def _reconcile(self, name: str, model_config: ModelConfig) -> None:
        """Applies the policy's decisions for one model until it has none left."""
        policy = model_config.model_version_policy
        on_disk = self._source.versions(Path(model_config.base_path))
        fingerprints = {version: found.fingerprint for version, found in on_disk.items()}
        while True:
            with self._lock:
                if self._stopping:
                    return
                decision = decide(policy, fingerprints, self._models[name].versions)
            if not decision:
                return
            for version in decision.load:
                self._load(name, version, on_disk[version])
            for version in decision.unload:
                self._unload(name, version)

    def _assign_labels(self, wanted: dict[str, ModelConfig]) -> None:
        """All labels or none: the old labels stay if one names an unavailable version."""
        with self._lock:
            for name, model_config in wanted.items():
                model = self._models[name]
                current = model.labels if self._allow_unavailable_labels else None
                check_assignable(name, model_config.version_labels, model.available(), current)
            for name, model_config in wanted.items():
                self._models[name].labels = dict(model_config.version_labels)

    # ---- loading and unloading -------------------------------------------------------------

    def _load(self, name: str, version: int, found: VersionDir) -> None:
        entry = _Version(State.LOADING, found.fingerprint)
        with self._lock:
            self._models[name].versions[version] = entry
        path = found.path
        log.info("Loading servable: {name: %s version: %d} from %s", name, version, path)
        try:
            servable, warmed = self._load_with_retries(path)
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

    def _load_with_retries(self, path: Path) -> tuple[Servable, int]:
        """The servable and its warmup records read; the last LoadError when all tries fail."""
        left = self._retries.count
        while True:
            try:
                servable = self._load_servable(path)
                warmed = servable.warm_up(self._warmup_iterations) if self._warmup_iterations else 0
                return servable, warmed
            except LoadError as exc:
                if left <= 0 or self._stopped_within(self._retries.interval):
                    raise
                log.warning("Loading %s failed, %d retries left: %s", path, left, exc)
                left -= 1

    def _unload(self, name: str, version: int) -> None:
        with self._lock:
            entry = self._models[name].versions[version]
            entry.state = State.UNLOADING
            self._update_gauge(name)
            # Requests holding this version finish first (bounded, in case one hangs).
            drained = self._changed.wait_for(lambda: entry.in_flight == 0, UNLOAD_WAIT_SECONDS)
            if not drained:
                log.warning("unloading %s version %d with requests in flight", name, version)
            servable, entry.servable, entry.state = entry.servable, None, State.END
        if drained and servable is not None:
            servable.close()  # frees the session; one still in use is left to the GC
        log.info("Unloaded servable version {name: %s version: %d}", name, version)

    def _update_gauge(self, name: str) -> None:
        available = len(self._models[name].available())
        self._metrics.loaded_versions.set(available, model_name=name)

    # ---- serving ---------------------------------------------------------------------------

    @contextmanager
    def acquire(self, name: str, version: int | None = None, label: str = "") -> Iterator[Handle]:
        """Holds a version for one request; NOT_FOUND as TF Serving words it."""
        entry, handle = self._hold(name, version, label)
        try:
            yield handle
        finally:
            with self._lock:
                entry.in_flight -= 1
                if entry.in_flight == 0 and entry.state == State.UNLOADING:
                    self._changed.notify_all()

    def _hold(self, name: str, version: int | None, label: str) -> tuple[_Version, Handle]:
        with self._lock:
            versions, asked = self._lookup(name, version, label)
            request = f"Latest({name})" if asked is None else f"Specific({name}, {asked})"
            if asked is None:
                serving = (v for v, entry in versions.items() if entry.serving is not None)
                asked = max(serving, default=-1)  # -1: no such version
            entry = versions.get(asked)
            servable = None if entry is None else entry.serving
            if entry is None or servable is None:
                raise not_found(f"Servable not found for request: {request}")
            entry.in_flight += 1
            return entry, Handle(asked, servable)

    def status(self, name: str, version: int | None = None, label: str = "") -> list[VersionStatus]:
        """Version states, highest first; NOT_FOUND with TF Serving's messages."""
        with self._lock:
            versions, asked = self._lookup(name, version, label)
            if asked is not None and asked not in versions:
                raise not_found(f"Could not find version {asked} of model {name}")
            if not versions:
                raise not_found(f"Could not find any versions of model {name}")
            shown = sorted(versions, reverse=True) if asked is None else [asked]
            return [_status(v, versions[v]) for v in shown]

    def _lookup(
        self, name: str, version: int | None, label: str
    ) -> tuple[dict[int, _Version], int | None]:
        """A model's versions (none if unknown) and the version asked for, label resolved."""
        model = self._models.get(name)
        if model is None:
            return {}, labelled_version({}, label, version)
        return model.versions, labelled_version(model.labels, label, version)


def _status(version: int, entry: _Version) -> VersionStatus:
    return VersionStatus(version, entry.state, entry.error_code, entry.error_message)
