"""A fake model server for the gateway's tests: FakePredictor implements PredictorClient.

It answers from memory, and fails the way TF Serving does (NOT_FOUND for an unknown version,
INVALID_ARGUMENT for an unknown label, or any injected code), raising real gRPC errors
through the gateway's own translation (serving.gateway.upstream), so the routes see the
same exceptions as with GrpcPredictor.
"""

from __future__ import annotations

import asyncio
import threading

import grpc
import numpy as np

from contract.model import MODEL_NAME, SERVING_DEFAULT
from reader.judge import Calibration
from serving.gateway.predictor import (
    ModelMetadata,
    PredictResult,
    SignatureMetadata,
    TensorMetadata,
    VersionSelector,
    VersionStatus,
)
from serving.gateway.upstream import RPC_TIMEOUT_SETTING, translate_grpc_errors


def rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


class FakePredictor:
    """In-memory stand-in: scores images by a function, or fails with a gRPC code."""

    def __init__(
        self,
        *,
        model_name: str = MODEL_NAME,
        versions: dict[int, str] | None = None,
        labels: dict[str, int] | None = None,
        fail_with: grpc.StatusCode | None = None,
        status_delay: float = 0.0,
        digit_offset: dict[int, int] | None = None,
        top: float = 0.97,
        runner_up: float = 0.01,
        digit_score: float | None = None,
        calibrations: dict[int, Calibration] | None = None,
    ) -> None:
        self.model_name = model_name
        self.versions = versions if versions is not None else {1: "AVAILABLE"}
        self.labels = labels or {}
        self.fail_with = fail_with
        self.status_delay = status_delay  # a hung model server: GetModelStatus takes this long
        self.calls: list[tuple[str, int]] = []  # (method, batch size): one Predict per request
        self.request_ids: list[str] = []  # as sent with each Predict
        self.status_deadlines: list[float] = []  # as given to each GetModelStatus
        # A version that answers another digit: (its digit + offset) mod 10.
        self.digit_offset = digit_offset or {}
        # Each row's digit gets `top`, the next digit `runner_up`, the others the rest: by
        # default as sure as a trained model on a clear digit, so the judge sees no hesitation.
        self.top, self.runner_up = top, runner_up
        # Every row's digit_score; None: a version exported before it (no such output).
        self.digit_score = digit_score
        # Each version's calibration outputs; a version missing here was exported before them.
        self.calibrations = calibrations or {}
        # Predict calls for a label in `held` wait until its event is set (from any thread:
        # TestClient runs the app in a thread of its own); `waiting` counts them.
        self.held: dict[str, threading.Event] = {}
        self.waiting: dict[str, int] = {}
        self.labels_asked: list[str | None] = []  # each Predict's label, in order
        self.fail_labels: dict[str, grpc.StatusCode] = {}  # a Predict for this label fails

    def _fail_if_asked(self) -> None:
        if self.fail_with is not None:
            raise rpc_error(self.fail_with, "injected failure")

    def _resolve(self, selector: VersionSelector) -> int:
        self._fail_if_asked()
        if selector.label is not None:
            if selector.label not in self.labels:  # as TF Serving: INVALID_ARGUMENT
                raise rpc_error(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Unrecognized servable version label: {selector.label}",
                )
            return self.labels[selector.label]
        available = [v for v, s in self.versions.items() if s == "AVAILABLE"]
        version = selector.version if selector.version is not None else max(available, default=0)
        if version not in available:
            raise rpc_error(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: {self.model_name} {version}",
            )
        return version

    @staticmethod
    def score(
        images: np.ndarray, offset: int = 0, top: float = 0.97, runner_up: float = 0.01
    ) -> np.ndarray:
        """Deterministic scores, row by row: the digit is (ink pixels in the top half +
        offset) mod 10; it gets `top`, the next digit `runner_up`, the others the rest."""
        digits = ((images[:, :14] > 0.5).sum(axis=(1, 2, 3)) + offset) % 10
        rest = (1.0 - top - runner_up) / 8
        probabilities = np.full((len(images), 10), rest, dtype=np.float32)
        rows = np.arange(len(images))
        probabilities[rows, digits] = top
        probabilities[rows, (digits + 1) % 10] = runner_up
        return probabilities

    async def predict(
        self, images: np.ndarray, selector: VersionSelector, request_id: str = ""
    ) -> PredictResult:
        self.labels_asked.append(selector.label)
        await self._hold(selector.label)
        with translate_grpc_errors("Predict", "fake", 1.0, selector.describe()):
            if selector.label in self.fail_labels:
                raise rpc_error(self.fail_labels[selector.label], "injected failure")
            version = self._resolve(selector)
        self.calls.append(("Predict", len(images)))
        self.request_ids.append(request_id)
        offset = self.digit_offset.get(version, 0)
        scores = self.score(images, offset, self.top, self.runner_up)
        digit_scores = None
        if self.digit_score is not None:
            digit_scores = np.full(len(images), self.digit_score, np.float32)
        calibration = self.calibrations.get(version)
        return PredictResult(scores, self.model_name, version, digit_scores, calibration)

    async def _hold(self, label: str | None) -> None:
        event = self.held.get(label or "")
        if event is None:
            return
        self.waiting[label or ""] = self.waiting.get(label or "", 0) + 1
        try:
            while not event.is_set():  # polled: a threading.Event cannot be awaited
                await asyncio.sleep(0.005)
        finally:
            self.waiting[label or ""] -= 1

    async def model_status(
        self, timeout: float | None = None, setting: str = RPC_TIMEOUT_SETTING
    ) -> list[VersionStatus]:
        deadline = timeout or 1.0
        self.status_deadlines.append(deadline)
        await asyncio.sleep(min(self.status_delay, deadline))
        with translate_grpc_errors("GetModelStatus", "fake", deadline, setting=setting):
            if self.status_delay > deadline:
                raise rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
            self._fail_if_asked()
        return [VersionStatus(v, s) for v, s in sorted(self.versions.items())]

    async def metadata(self, selector: VersionSelector) -> ModelMetadata:
        with translate_grpc_errors("GetModelMetadata", "fake", 1.0, selector.describe()):
            version = self._resolve(selector)
        images = TensorMetadata("float", [-1, 28, 28, 1])
        outputs = {
            "classes": TensorMetadata("int64", [-1]),
            "probabilities": TensorMetadata("float", [-1, 10]),
        }
        serving_default = SignatureMetadata(
            {"images": images}, outputs, "tensorflow/serving/predict"
        )
        internal = SignatureMetadata(
            {}, {"__saved_model_init_op": TensorMetadata("invalid", None)}, ""
        )
        return ModelMetadata(
            self.model_name,
            version,
            {SERVING_DEFAULT: serving_default, "__saved_model_init_op": internal},
        )

    async def close(self) -> None:
        return None
