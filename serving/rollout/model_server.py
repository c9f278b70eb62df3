"""The model server as the rollout sees it: HandleReloadConfigRequest and GetModelStatus.

A blocking gRPC channel with a deadline on every call; gRPC's errors become RolloutErrors
here and nowhere else, worded for the operator (TF Serving's own message kept).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import grpc

from contract.model import MODEL_NAME
from serving.rollout import config
from serving.rollout.errors import RolloutError
from serving.tfs_api import get_model_status_pb2, model_management_pb2
from serving.tfs_api.stubs import ModelServiceStub

State = get_model_status_pb2.ModelVersionStatus.State
STATUS_TIMEOUT_S = 5.0
# The local server loads inside the reload; TF Serving returns and loads in the background.
RELOAD_TIMEOUT_S = 300.0
LOAD_TIMEOUT_S = 300.0  # a candidate slower than this to load is treated as failed
POLL_S = 0.2


@dataclass(frozen=True)
class VersionState:
    version: int
    state: str  # START, LOADING, AVAILABLE, UNLOADING, END
    error: str  # why it ended, when it failed


class ModelServer:
    def __init__(self, target: str, name: str = MODEL_NAME, base_path: str = "") -> None:
        self.target, self.name = target, name
        self.base_path = base_path or config.CONTAINER_BASE_PATH
        self._channel = grpc.insecure_channel(target)
        self._stub = ModelServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def reload(self, versions: list[int], labels: Mapping[str, int]) -> config.ModelServerConfig:
        """Serves exactly `versions` with `labels`; the config applied."""
        request = model_management_pb2.ReloadConfigRequest()
        request.config.CopyFrom(config.build(versions, labels, self.name, self.base_path))
        with self._translated("reload the model config"):
            response = self._stub.HandleReloadConfigRequest(request, timeout=RELOAD_TIMEOUT_S)
        if response.status.error_code != 0:  # TF Serving answers some refusals in the body
            raise RolloutError(
                f"the model server refused the config: {response.status.error_message}"
            )
        return request.config

    def states(self) -> dict[int, VersionState]:
        """Every version the model server holds, by number."""
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = self.name
        with self._translated("get the model status"):
            try:
                response = self._stub.GetModelStatus(request, timeout=STATUS_TIMEOUT_S)
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:  # no version held at all
                    return {}
                raise
        return {
            s.version: VersionState(s.version, State.Name(s.state), s.status.error_message)
            for s in response.model_version_status
        }

    def wait_loaded(self, version: int, timeout: float = LOAD_TIMEOUT_S) -> None:
        """Returns once `version` is AVAILABLE; RolloutError when it fails to load."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.states().get(version)
            if found is not None and found.state == "AVAILABLE":
                return
            if found is not None and found.state == "END":
                raise RolloutError(
                    f"version {version} failed to load: {found.error or 'no reason given'}"
                )
            if time.monotonic() > deadline:
                raise RolloutError(f"version {version} did not load within {timeout:.0f} s")
            time.sleep(POLL_S)

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except grpc.RpcError as exc:
            code = exc.code()
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise RolloutError(
                    f"model server {self.target} unreachable ({code.name}): cannot {what}"
                ) from exc
            raise RolloutError(f"the model server refused to {what}: {exc.details()}") from exc
