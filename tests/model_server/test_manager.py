"""The manager in process, with a fake servable loader: order of loads and unloads, failed
loads, labels, status and stop. Versions are empty folders; the loader never reads them."""

import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from serving.model_server.config import ModelServerConfig
from serving.model_server.errors import LoadError, ServingError
from serving.model_server.manager import ModelManager, Retries, State
from serving.model_server.metrics import Metrics
from tests.model_server.fakes import ALL, FakeLoader, config

WAIT_SECONDS = 10.0


def states(manager: ModelManager) -> dict[int, int]:
    return {s.version: s.state for s in manager.status("mnist")}


def served_version(manager: ModelManager, version: int | None = None, label: str = "") -> int:
    with manager.acquire("mnist", version, label) as held:
        return held.version


def test_a_new_version_is_loaded_before_the_old_one_is_unloaded(
    base: Path, loader: FakeLoader, manager: ModelManager
) -> None:
    manager.start(config(base))
    assert states(manager) == {1: State.AVAILABLE}
    (base / "2").mkdir()
    loader.on_load = lambda: (states(manager), served_version(manager))
    manager.poll_once()
    # While version 2 loaded, version 1 was AVAILABLE and answered requests.
    assert loader.during_load == [({1: State.AVAILABLE, 2: State.LOADING}, 1)]
    assert states(manager) == {2: State.AVAILABLE, 1: State.END}
    assert served_version(manager) == 2


def test_a_failed_load_is_reported_and_disturbs_nothing(
    base: Path, loader: FakeLoader, manager: ModelManager
) -> None:
    manager.start(config(base))
    (base / "3").mkdir()
    error = "3/saved_model.pb is not a SavedModel"
    loader.failing[3] = LoadError(error, grpc.StatusCode.DATA_LOSS)
    manager.poll_once()
    [three, one] = manager.status("mnist")
    assert (three.version, three.state) == (3, State.END)
    assert (three.error_code, three.error_message) == (grpc.StatusCode.DATA_LOSS, error)
    assert (one.version, one.state, one.error_code) == (1, State.AVAILABLE, grpc.StatusCode.OK)
    assert served_version(manager) == 1

    manager.poll_once()  # the folder is unchanged: not tried again
    assert loader.loaded == [1, 3]
    del loader.failing[3]
    (base / "3" / "saved_model.pb").write_bytes(b"rewritten")  # the folder changes: retried
    manager.poll_once()
    assert loader.loaded == [1, 3, 3]
    assert states(manager) == {3: State.AVAILABLE, 1: State.END}


def test_labels_point_at_available_versions_only(base: Path, manager: ModelManager) -> None:
    (base / "2").mkdir()
    manager.start(config(base, ALL))
    manager.apply_config(config(base, ALL, stable=1, canary=2))
    assert served_version(manager, label="stable") == 1
    assert served_version(manager, label="canary") == 2
    assert [s.version for s in manager.status("mnist", label="canary")] == [2]

    with pytest.raises(ServingError) as caught:
        manager.apply_config(config(base, ALL, stable=7))
    assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.message == (
        "Request to assign label to version 7 of model mnist, "
        "which is not currently available for inference"
    )
    assert served_version(manager, label="stable") == 1  # the old labels stay

    with pytest.raises(ServingError) as caught:
        served_version(manager, label="beta")
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.message == "Unrecognized servable version label: beta"


def acquire(manager: ModelManager, model: str, version: int | None) -> None:
    with manager.acquire(model, version):
        pass


@pytest.mark.parametrize(
    ("ask", "model", "version", "message"),
    [
        (acquire, "nope", None, "Servable not found for request: Latest(nope)"),
        (acquire, "mnist", 9, "Servable not found for request: Specific(mnist, 9)"),
        (ModelManager.status, "nope", None, "Could not find any versions of model nope"),
        (ModelManager.status, "mnist", 9, "Could not find version 9 of model mnist"),
    ],
)
def test_acquire_and_status_answer_not_found_in_tf_servings_words(
    base: Path,
    manager: ModelManager,
    ask: Callable[[ModelManager, str, int | None], object],
    model: str,
    version: int | None,
    message: str,
) -> None:
    manager.start(config(base))
    with pytest.raises(ServingError) as caught:
        ask(manager, model, version)
    assert (caught.value.code, caught.value.message) == (grpc.StatusCode.NOT_FOUND, message)


def test_a_model_removed_from_the_config_is_unloaded(base: Path, manager: ModelManager) -> None:
    manager.start(config(base))
    manager.apply_config(ModelServerConfig(model_config_list={}))
    with pytest.raises(ServingError, match="Could not find any versions of model mnist"):
        manager.status("mnist")


def test_an_unloading_version_waits_for_the_requests_holding_it(
    base: Path, manager: ModelManager
) -> None:
    manager.start(config(base))
    (base / "2").mkdir()
    with manager.acquire("mnist") as held:
        poll = threading.Thread(target=manager.poll_once)
        poll.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while states(manager).get(1) != State.UNLOADING and time.monotonic() < deadline:
            poll.join(0.01)
        assert states(manager) == {2: State.AVAILABLE, 1: State.UNLOADING}
        assert poll.is_alive() and held.version == 1  # still held, so still loaded
    poll.join(WAIT_SECONDS)
    assert states(manager) == {2: State.AVAILABLE, 1: State.END}


def test_stop_ends_the_poll_thread_at_once(base: Path, loader: FakeLoader) -> None:
    manager = ModelManager(Metrics(), poll_seconds=3600, load=loader)
    manager.start(config(base))
    started = time.monotonic()
    manager.stop()
    assert time.monotonic() - started < WAIT_SECONDS  # woken, not waiting out the hour


def test_a_failed_load_is_retried_as_many_times_as_configured(
    base: Path, loader: FakeLoader
) -> None:
    attempts = 0

    def fail_twice(path: Path):  # type: ignore[no-untyped-def]
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            raise LoadError("not yet", grpc.StatusCode.UNAVAILABLE)
        return loader(path)

    for retries, outcome in [(1, State.END), (2, State.AVAILABLE)]:
        attempts = 0
        manager = ModelManager(
            Metrics(), None, poll_seconds=0, load=fail_twice, retries=Retries(retries, 0.0)
        )
        manager.start(config(base))
        assert states(manager) == {1: outcome}
        manager.stop()
