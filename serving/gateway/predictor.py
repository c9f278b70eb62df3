"""Who answers predictions: the Predictor protocol, the gRPC client of TF Serving, a fake.

The gateway talks to any TF Serving (the real container or serving/model_server) through
GrpcPredictor: one grpc.aio channel per worker process, a deadline on every call, gRPC's
own retries (jittered exponential backoff, inside the deadline) on UNAVAILABLE, keepalive.
Tests inject FakePredictor, which raises real gRPC errors through the same translation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

import grpc
import numpy as np

from contract.model import INPUT_NAME, MODEL_NAME, NUM_CLASSES, PROBABILITIES, SERVING_DEFAULT
from serving.gateway.errors import UpstreamRejected
from serving.gateway.upstream import translate_grpc_errors
from serving.tfs_api import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    meta_graph_pb2,
    model_pb2,
    predict_pb2,
    stubs,
    tensors,
    types_pb2,
)

# gRPC retries UNAVAILABLE (server restarting, connection refused) with jittered backoff;
# the call's deadline bounds the attempts.
SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{"service": stubs.PREDICTION_SERVICE}, {"service": stubs.MODEL_SERVICE}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)
CHANNEL_OPTIONS = [
    ("grpc.service_config", SERVICE_CONFIG),
    ("grpc.enable_retries", 1),
    ("grpc.keepalive_time_ms", 60_000),  # ping only during calls: TF Serving's default policy
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


@dataclass(frozen=True)
class VersionSelector:
    """Which version answers: a number, a label, or neither (the highest available)."""

    version: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class Prediction:
    probabilities: np.ndarray  # float32 [N, 10]
    model_name: str
    model_version: int


@dataclass(frozen=True)
class VersionStatus:
    version: int
    state: str  # START, LOADING, AVAILABLE, UNLOADING, END
    error: str | None = None


@dataclass(frozen=True)
class TensorSpec:
    dtype: str
    shape: list[int] | None  # None: unknown rank


@dataclass(frozen=True)
class Signature:
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]
    method_name: str


@dataclass(frozen=True)
class ModelMetadata:
    model_name: str
    version: int
    signatures: dict[str, Signature] = field(default_factory=dict)


class Predictor(Protocol):
    model_name: str

    async def predict(self, images: np.ndarray, selector: VersionSelector) -> Prediction: ...

    async def model_status(self) -> list[VersionStatus]: ...

    async def metadata(self, selector: VersionSelector) -> ModelMetadata: ...

    async def close(self) -> None: ...


def model_spec(name: str, selector: VersionSelector, signature: str = "") -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=name, signature_name=signature)
    if selector.version is not None:
        spec.version.value = selector.version
    elif selector.label is not None:
        spec.version_label = selector.label
    return spec


def tensor_spec(info: meta_graph_pb2.TensorInfo) -> TensorSpec:
    known = info.dtype in types_pb2.DataType.values()
    dtype = types_pb2.DataType.Name(info.dtype) if known else str(info.dtype)
    shape = None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]
    return TensorSpec(dtype=dtype.removeprefix("DT_").lower(), shape=shape)


def signature(proto: meta_graph_pb2.SignatureDef) -> Signature:
    return Signature(
        inputs={k: tensor_spec(v) for k, v in sorted(proto.inputs.items())},
        outputs={k: tensor_spec(v) for k, v in sorted(proto.outputs.items())},
        method_name=proto.method_name,
    )


def probabilities_from(response: predict_pb2.PredictResponse, count: int) -> np.ndarray:
    """The [count, 10] probabilities of a Predict answer, checked (a mismatch is our bug)."""
    if PROBABILITIES not in response.outputs:
        raise UpstreamRejected(f"the model's answer has no {PROBABILITIES!r} output")
    try:
        probabilities = tensors.make_ndarray(response.outputs[PROBABILITIES])
    except tensors.TensorConversionError as exc:
        raise UpstreamRejected(
            f"the model's {PROBABILITIES!r} output is unreadable: {exc}"
        ) from exc
    if probabilities.shape != (count, NUM_CLASSES):
        raise UpstreamRejected(
            f"the model answered {PROBABILITIES!r} of shape {probabilities.shape}, "
            f"expected {(count, NUM_CLASSES)}"
        )
    return probabilities.astype(np.float32, copy=False)


class GrpcPredictor:
    """TF Serving over gRPC. Create inside a running event loop (the app's lifespan)."""

    def __init__(self, target: str, model_name: str, timeout_seconds: float) -> None:
        self.target = target
        self.model_name = model_name
        self.timeout = timeout_seconds
        self._channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        self._predictions = stubs.PredictionServiceStub(self._channel)
        self._models = stubs.ModelServiceStub(self._channel)

    async def predict(self, images: np.ndarray, selector: VersionSelector) -> Prediction:
        request = predict_pb2.PredictRequest(
            model_spec=model_spec(self.model_name, selector, SERVING_DEFAULT),
            output_filter=[PROBABILITIES],
        )
        request.inputs[INPUT_NAME].CopyFrom(tensors.make_tensor_proto(images))
        with translate_grpc_errors("Predict", self.target, self.timeout):
            response = await self._predictions.Predict(request, timeout=self.timeout)
        return Prediction(
            probabilities=probabilities_from(response, len(images)),
            model_name=response.model_spec.name or self.model_name,
            model_version=response.model_spec.version.value,
        )

    async def model_status(self) -> list[VersionStatus]:
        request = get_model_status_pb2.GetModelStatusRequest(
            model_spec=model_pb2.ModelSpec(name=self.model_name)
        )
        with translate_grpc_errors("GetModelStatus", self.target, self.timeout):
            response = await self._models.GetModelStatus(request, timeout=self.timeout)
        state_name = get_model_status_pb2.ModelVersionStatus.State.Name
        return [
            VersionStatus(
                version=status.version,
                state=state_name(status.state),
                error=status.status.error_message or None,
            )
            for status in response.model_version_status
        ]

    async def metadata(self, selector: VersionSelector) -> ModelMetadata:
        request = get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec=model_spec(self.model_name, selector), metadata_field=["signature_def"]
        )
        with translate_grpc_errors("GetModelMetadata", self.target, self.timeout):
            response = await self._predictions.GetModelMetadata(request, timeout=self.timeout)
        try:
            signature_defs = tensors.unpack_signature_defs(response)
        except tensors.TensorConversionError as exc:
            raise UpstreamRejected(f"unreadable model metadata: {exc}") from exc
        return ModelMetadata(
            model_name=response.model_spec.name or self.model_name,
            version=response.model_spec.version.value,
            signatures={name: signature(sig) for name, sig in sorted(signature_defs.items())},
        )

    async def close(self) -> None:
        await self._channel.close()


class FakePredictor:
    """In-memory stand-in for tests: scores images by a function, or fails with a gRPC code."""

    def __init__(
        self,
        *,
        model_name: str = MODEL_NAME,
        versions: dict[int, str] | None = None,
        labels: dict[str, int] | None = None,
        fail_with: grpc.StatusCode | None = None,
    ) -> None:
        self.model_name = model_name
        self.versions = versions if versions is not None else {1: "AVAILABLE"}
        self.labels = labels or {}
        self.fail_with = fail_with
        self.calls: list[tuple[str, int]] = []  # (method, batch size): one Predict per request

    def _resolve(self, selector: VersionSelector) -> int:
        if self.fail_with is not None:
            raise grpc.aio.AioRpcError(
                self.fail_with, grpc.aio.Metadata(), grpc.aio.Metadata(), "injected failure"
            )
        if selector.label is not None:
            if selector.label not in self.labels:  # as TF Serving: INVALID_ARGUMENT
                raise grpc.aio.AioRpcError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    grpc.aio.Metadata(),
                    grpc.aio.Metadata(),
                    f"Unrecognized servable version label: {selector.label}",
                )
            return self.labels[selector.label]
        available = [v for v, s in self.versions.items() if s == "AVAILABLE"]
        version = selector.version if selector.version is not None else max(available, default=0)
        if version not in available:
            raise self._not_found(f"Servable not found for request: {self.model_name} {version}")
        return version

    @staticmethod
    def _not_found(details: str) -> grpc.aio.AioRpcError:
        return grpc.aio.AioRpcError(
            grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata(), details
        )

    @staticmethod
    def score(images: np.ndarray) -> np.ndarray:
        """Deterministic scores: the digit is (ink pixels in the top half) mod 10."""
        digits = (images[:, :14] > 0.5).sum(axis=(1, 2, 3)) % 10
        probabilities = np.full((len(images), 10), 0.02, dtype=np.float32)
        probabilities[np.arange(len(images)), digits] = 0.82
        return probabilities

    async def predict(self, images: np.ndarray, selector: VersionSelector) -> Prediction:
        with translate_grpc_errors("Predict", "fake", 1.0):
            version = self._resolve(selector)
        self.calls.append(("Predict", len(images)))
        return Prediction(self.score(images), self.model_name, version)

    async def model_status(self) -> list[VersionStatus]:
        with translate_grpc_errors("GetModelStatus", "fake", 1.0):
            if self.fail_with is not None:
                self._resolve(VersionSelector())
        return [VersionStatus(v, s) for v, s in sorted(self.versions.items())]

    async def metadata(self, selector: VersionSelector) -> ModelMetadata:
        with translate_grpc_errors("GetModelMetadata", "fake", 1.0):
            version = self._resolve(selector)
        spec = TensorSpec("float", [-1, 28, 28, 1])
        outputs = {
            "classes": TensorSpec("int64", [-1]),
            "probabilities": TensorSpec("float", [-1, 10]),
        }
        sig = Signature({"images": spec}, outputs, "tensorflow/serving/predict")
        internal = Signature({}, {"__saved_model_init_op": TensorSpec("invalid", None)}, "")
        return ModelMetadata(
            self.model_name, version, {SERVING_DEFAULT: sig, "__saved_model_init_op": internal}
        )

    async def close(self) -> None:
        return None
