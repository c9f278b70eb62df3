"""Version labels' rules and TF Serving's words for breaking them, in process."""

import grpc
import pytest

from serving.model_server.errors import ServingError
from serving.model_server.labels import check_assignable, labelled_version

LABELS = {"stable": 1, "canary": 2}


@pytest.mark.parametrize(
    ("label", "version", "resolved"),
    [
        ("", None, None),  # neither: the latest, chosen by the caller
        ("", 3, 3),  # a version, no label
        ("stable", None, 1),
        ("canary", None, 2),
    ],
)
def test_a_label_resolves_to_its_version(label: str, version: int | None, resolved: int) -> None:
    assert labelled_version(LABELS, label, version) == resolved


@pytest.mark.parametrize("labels", [LABELS, {}])
def test_an_unknown_label_is_invalid_argument(labels: dict[str, int]) -> None:
    with pytest.raises(ServingError) as caught:
        labelled_version(labels, "beta", None)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.message == "Unrecognized servable version label: beta"


@pytest.mark.parametrize(
    ("labels", "available", "refused"),
    [
        (LABELS, {1, 2}, None),
        ({}, set(), None),
        (LABELS, {1}, 2),  # canary names a version that is not AVAILABLE
        ({"stable": 7}, {1, 2}, 7),  # or not there at all
    ],
)
def test_a_label_may_name_only_an_available_version(
    labels: dict[str, int], available: set[int], refused: int | None
) -> None:
    if refused is None:
        check_assignable("mnist", labels, available)
        return
    with pytest.raises(ServingError) as caught:
        check_assignable("mnist", labels, available)
    assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.message == (
        f"Request to assign label to version {refused} of model mnist, "
        "which is not currently available for inference"
    )


@pytest.mark.parametrize(
    ("labels", "current", "allowed"),
    [
        ({"canary": 3}, {}, True),  # a new label may wait for its version
        ({"stable": 1, "canary": 3}, {"canary": 3}, True),  # or stay where it is
        ({"stable": 3}, {"stable": 1}, False),  # moving one to an unavailable version may not
    ],
)
def test_allow_version_labels_for_unavailable_models(
    labels: dict[str, int], current: dict[str, int], allowed: bool
) -> None:
    if allowed:
        check_assignable("mnist", labels, {1}, current)
        return
    with pytest.raises(ServingError):
        check_assignable("mnist", labels, {1}, current)
