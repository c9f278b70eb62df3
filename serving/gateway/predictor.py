"""Who answers predictions: the PredictorClient protocol and its gRPC client of TF Serving.

The gateway talks to any TF Serving (the real container or serving/model_server) through
GrpcPredictor: one grpc.aio channel per worker process, a deadline on every call, gRPC's
own retries (jittered exponential backoff, inside the deadline) on UNAVAILABLE, keepalive,
and a reconnect backoff capped at half a second, so that a restarted model server is used
again within a second of its being ready. Each Predict carries the request id as the gRPC
metadata `x-request-id`, so the two logs can be joined.
What it answers are the plain dataclasses below, never protobuf messages. Tests inject a
fake implementation of the protocol (tests/gateway/fakes.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

import grpc
import numpy as np

from contract.model import (
    CALIBRATION_MIN_DIGIT_SCORE,
    CALIBRATION_MIN_MARGIN,
    DIGIT_SCORE,
    INPUT_NAME,
    NUM_CLASSES,
    PROBABILITIES,
    SERVING_DEFAULT,
)
from reader.judge import Calibration
from serving.gateway.errors import UpstreamRejected
from serving.gateway.upstream import RPC_TIMEOUT_SETTING, translate_grpc_errors
from serving.tfs_api import (
    dtypes,
    get_model_metadata_pb2,
    get_model_status_pb2,
    meta_graph_pb2,
    model_pb2,
    predict_pb2,
    stubs,
    tensors,
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
    # gRPC's default reconnect backoff grows to 120 s (1 s, ×1.6): after a model-server
    # restart the gateway would wait seconds before trying again.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]
REQUEST_ID_METADATA = "x-request-id"


@dataclass(frozen=True)
class VersionSelector:
    """Which version answers: a number, a label, or neither (the highest available)."""

    version: int | None = None
    label: str | None = None

    def describe(self) -> str:
        """ "version 3", "label 'canary'", or "" (unpinned), for error messages."""
        if self.version is not None:
            return f"version {self.version}"
        return f"label {self.label!r}" if self.label is not None else ""


@dataclass(frozen=True)
class PredictResult:
    """The answer of one Predict call: a row of probabilities per image, how much each
    looks like a digit at all, who answered, and what that version is judged by."""

    probabilities: np.ndarray  # float32 [N, 10]
    model_name: str
    model_version: int
    digit_scores: np.ndarray | None = None  # float32 [N]; None from a version without it
    calibration: Calibration | None = None  # the version's own; None from one without it


@dataclass(frozen=True)
class VersionStatus:
    """One version's state, as GetModelStatus reports it."""

    version: int
    state: str  # START, LOADING, AVAILABLE, UNLOADING, END
    error: str | None = None


@dataclass(frozen=True)
class TensorMetadata:
    """A signature's input or output tensor, as GetModelMetadata describes it."""

    dtype: str
    shape: list[int] | None  # None: unknown rank


@dataclass(frozen=True)
class SignatureMetadata:
    """One signature of a version: its named input and output tensors."""

    inputs: dict[str, TensorMetadata]
    outputs: dict[str, TensorMetadata]
    method_name: str


@dataclass(frozen=True)
class ModelMetadata:
    """A version's signatures, SavedModel internals (`__saved_model_init_op`) included."""

    model_name: str
    version: int
    signatures: dict[str, SignatureMetadata] = field(default_factory=dict)


class PredictorClient(Protocol):
    """What the routes need from a model server; failures raise serving.gateway.errors."""

    model_name: str

    async def predict(
        self, images: np.ndarray, selector: VersionSelector, request_id: str = ""
    ) -> PredictResult: ...

    async def model_status(
        self, timeout: float | None = None, setting: str = RPC_TIMEOUT_SETTING
    ) -> list[VersionStatus]: ...

    async def metadata(self, selector: VersionSelector) -> ModelMetadata: ...

    async def close(self) -> None: ...


def model_spec(name: str, selector: VersionSelector, signature: str = "") -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=name, signature_name=signature)
    if selector.version is not None:
        spec.version.value = selector.version
    elif selector.label is not None:
        spec.version_label = selector.label
    return spec


def tensor_metadata(info: meta_graph_pb2.TensorInfo) -> TensorMetadata:
    dtype = dtypes.name(info.dtype)
    shape = None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]
    return TensorMetadata(dtype=dtype.removeprefix("DT_").lower(), shape=shape)


def signature_metadata(proto: meta_graph_pb2.SignatureDef) -> SignatureMetadata:
    return SignatureMetadata(
        inputs={k: tensor_metadata(v) for k, v in sorted(proto.inputs.items())},
        outputs={k: tensor_metadata(v) for k, v in sorted(proto.outputs.items())},
        method_name=proto.method_name,
    )


def output_from(
    response: predict_pb2.PredictResponse, name: str, shape: tuple[int, ...]
) -> np.ndarray:
    """One output of a Predict answer, checked (a mismatch is our bug)."""
    if name not in response.outputs:
        raise UpstreamRejected(f"the model's answer has no {name!r} output")
    try:
        values = tensors.make_ndarray(response.outputs[name])
    except tensors.TensorConversionError as exc:
        raise UpstreamRejected(f"the model's {name!r} output is unreadable: {exc}") from exc
    if values.shape != shape:
        raise UpstreamRejected(
            f"the model answered {name!r} of shape {values.shape}, expected {shape}"
        )
    return values.astype(np.float32, copy=False)


def calibration_from(response: predict_pb2.PredictResponse, count: int) -> Calibration | None:
    """The answering version's calibration (contract/model.py), None when it has none."""
    names = (CALIBRATION_MIN_DIGIT_SCORE, CALIBRATION_MIN_MARGIN)
    if not all(name in response.outputs for name in names):
        return None
    try:
        return Calibration.from_outputs({n: output_from(response, n, (count,)) for n in names})
    except ValueError as exc:
        raise UpstreamRejected(str(exc)) from exc


def result_from(response: predict_pb2.PredictResponse, count: int, name: str) -> PredictResult:
    """The probabilities [count, 10] of a Predict answer and, when the version has them, its
    digit_score [count] and its calibration (versions exported before them answer without)."""
    scores = None
    if DIGIT_SCORE in response.outputs:
        scores = output_from(response, DIGIT_SCORE, (count,))
    return PredictResult(
        probabilities=output_from(response, PROBABILITIES, (count, NUM_CLASSES)),
        model_name=response.model_spec.name or name,
        model_version=response.model_spec.version.value,
        digit_scores=scores,
        calibration=calibration_from(response, count),
    )


class GrpcPredictor:
    """TF Serving over gRPC. Create inside a running event loop (the app's lifespan)."""

    def __init__(self, target: str, model_name: str, timeout_seconds: float) -> None:
        self.target = target
        self.model_name = model_name
        self.timeout = timeout_seconds
        self._channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        self._predictions = stubs.PredictionServiceStub(self._channel)
        self._models = stubs.ModelServiceStub(self._channel)

    async def predict(
        self, images: np.ndarray, selector: VersionSelector, request_id: str = ""
    ) -> PredictResult:
        # No output_filter: versions exported before digit_score or the calibration lack them,
        # and naming an output a signature lacks is an error. (classes comes too: a few bytes.)
        request = predict_pb2.PredictRequest(
            model_spec=model_spec(self.model_name, selector, SERVING_DEFAULT)
        )
        request.inputs[INPUT_NAME].CopyFrom(tensors.make_tensor_proto(images))
        metadata = ((REQUEST_ID_METADATA, request_id),) if request_id else None
        with translate_grpc_errors("Predict", self.target, self.timeout, selector.describe()):
            response = await self._predictions.Predict(
                request, timeout=self.timeout, metadata=metadata
            )
        return result_from(response, len(images), self.model_name)

    async def model_status(
        self, timeout: float | None = None, setting: str = RPC_TIMEOUT_SETTING
    ) -> list[VersionStatus]:
        """The versions' states; `timeout` replaces the RPC deadline (readiness has its own,
        named by `setting` in a timeout's message)."""
        request = get_model_status_pb2.GetModelStatusRequest(
            model_spec=model_pb2.ModelSpec(name=self.model_name)
        )
        deadline = timeout or self.timeout
        with translate_grpc_errors("GetModelStatus", self.target, deadline, setting=setting):
            response = await self._models.GetModelStatus(request, timeout=deadline)
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
        with translate_grpc_errors(
            "GetModelMetadata", self.target, self.timeout, selector.describe()
        ):
            response = await self._predictions.GetModelMetadata(request, timeout=self.timeout)
        try:
            signature_defs = tensors.unpack_signature_defs(response)
        except tensors.TensorConversionError as exc:
            raise UpstreamRejected(f"unreadable model metadata: {exc}") from exc
        return ModelMetadata(
            model_name=response.model_spec.name or self.model_name,
            version=response.model_spec.version.value,
            signatures={
                name: signature_metadata(sig) for name, sig in sorted(signature_defs.items())
            },
        )

    async def close(self) -> None:
        await self._channel.close()
