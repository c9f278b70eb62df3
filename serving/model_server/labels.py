"""Version labels (`stable`, `canary`): names for versions, with TF Serving's rules and words.

A label may be assigned only to an AVAILABLE version, so that a rollout never points traffic
at a version that cannot answer (ServerCore::ReloadConfig's FAILED_PRECONDITION). A request
naming a label the model does not have is INVALID_ARGUMENT.
"""

from collections.abc import Mapping

import grpc

from serving.model_server.errors import ServingError, invalid_argument


def check_assignable(model_name: str, labels: Mapping[str, int], available: set[int]) -> None:
    """FAILED_PRECONDITION, as TF Serving words it, for a label naming an unavailable version."""
    for version in labels.values():
        if version not in available:
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
