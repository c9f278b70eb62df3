"""Version labels (`stable`, `canary`): names for versions, with TF Serving's rules and words.

A label may be assigned only to an AVAILABLE version, so that a rollout never points traffic
at a version that cannot answer (ServerCore::ReloadConfig's FAILED_PRECONDITION). A request
naming a label the model does not have is INVALID_ARGUMENT.
"""

from collections.abc import Mapping

import grpc

from serving.model_server.errors import ServingError, invalid_argument


def check_assignable(
    model_name: str,
    labels: Mapping[str, int],
    available: set[int],
    current: Mapping[str, int] | None = None,
) -> None:
    """FAILED_PRECONDITION, as TF Serving words it, for a label naming an unavailable version.

    With `current` (--allow_version_labels_for_unavailable_models), a label that is new, or
    stays where it is, may name a version that is not available yet; moving one may not.
    """
    for label, version in labels.items():
        may_wait = current is not None and current.get(label, version) == version
        if version not in available and not may_wait:
            raise ServingError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"Request to assign label to version {version} of model {model_name}, "
                "which is not currently available for inference",
            )


def labelled_version(labels: Mapping[str, int], label: str, version: int | None) -> int | None:
    """The version `label` points at, else `version`; INVALID_ARGUMENT for an unknown label."""
    if not label:
        return version
    if label not in labels:
        raise invalid_argument(f"Unrecognized servable version label: {label}")
    return labels[label]
