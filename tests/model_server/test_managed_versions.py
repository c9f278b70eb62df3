"""The managed mode's configs in process (fake loader): a `specific` policy with labels at
start, and the reloads a rollout sends, in its order, as TF Serving's ServerCore applies them."""

from pathlib import Path

import grpc
import pytest

from serving.model_server.errors import LoadError, ServingError
from serving.model_server.manager import ModelManager, State
from tests.model_server.fakes import FakeLoader, config


def specific(*versions: int) -> str:
    listed = " ".join(f"versions: {v}" for v in versions)
    return f"model_version_policy {{ specific {{ {listed} }} }}"


def states(manager: ModelManager) -> dict[int, int]:
    return {s.version: s.state for s in manager.status("mnist")}


def answering(manager: ModelManager, label: str) -> int:
    with manager.acquire("mnist", label=label) as held:
        return held.version


@pytest.fixture
def two_versions(base: Path) -> Path:
    (base / "2").mkdir()
    return base


def test_a_published_version_is_only_staged_until_the_config_names_it(
    two_versions: Path, loader: FakeLoader, manager: ModelManager
) -> None:
    manager.start(config(two_versions, specific(1), stable=1))
    manager.poll_once()  # polling finds version 2 and leaves it on disk
    assert loader.loaded == [1]
    assert states(manager) == {1: State.AVAILABLE}
    assert answering(manager, "stable") == 1


def test_the_rollouts_reloads_load_label_promote_and_unload(
    two_versions: Path, loader: FakeLoader, manager: ModelManager
) -> None:
    manager.start(config(two_versions, specific(1), stable=1))
    manager.apply_config(config(two_versions, specific(1, 2), stable=1))  # stage
    assert states(manager) == {2: State.AVAILABLE, 1: State.AVAILABLE}
    assert answering(manager, "stable") == 1

    manager.apply_config(config(two_versions, specific(1, 2), stable=1, canary=2))
    assert (answering(manager, "stable"), answering(manager, "canary")) == (1, 2)

    manager.apply_config(config(two_versions, specific(1, 2), stable=2, canary=2))  # promote
    assert answering(manager, "stable") == 2
    assert states(manager)[1] == State.AVAILABLE  # still there for requests in flight

    manager.apply_config(config(two_versions, specific(2), stable=2))
    assert states(manager) == {2: State.AVAILABLE, 1: State.END}
    with pytest.raises(ServingError) as caught:
        answering(manager, "canary")
    assert caught.value.message == "Unrecognized servable version label: canary"


def test_a_label_on_a_version_that_failed_to_load_is_refused_in_tf_servings_words(
    two_versions: Path, loader: FakeLoader, manager: ModelManager
) -> None:
    loader.failing[2] = LoadError("2/saved_model.pb is corrupt", grpc.StatusCode.DATA_LOSS)
    manager.start(config(two_versions, specific(1), stable=1))
    manager.apply_config(config(two_versions, specific(1, 2), stable=1))  # the load fails
    [two, one] = manager.status("mnist")
    assert (two.state, two.error_message) == (State.END, "2/saved_model.pb is corrupt")
    assert one.state == State.AVAILABLE

    with pytest.raises(ServingError) as caught:
        manager.apply_config(config(two_versions, specific(1, 2), stable=1, canary=2))
    assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.message == (
        "Request to assign label to version 2 of model mnist, "
        "which is not currently available for inference"
    )
    assert answering(manager, "stable") == 1  # the labels before the refusal stay

    manager.apply_config(config(two_versions, specific(1), stable=1))  # the rollout backs out
    assert states(manager)[1] == State.AVAILABLE
