"""One loaded version of a model: its SavedModel signatures, input checks and warmup."""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2
from tensorflow_serving.apis import prediction_log_pb2

from serving.model_server.errors import LoadError, ServingError, invalid_argument
from serving.model_server.tensors import dtype_name, dtype_of, to_ndarray

log = logging.getLogger(__name__)

SERVE_TAG = "serve"
DEFAULT_SIGNATURE = "serving_default"  # TF Serving's kDefaultServingSignatureDefKey
WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
MAX_WARMUP_RECORDS = 1000  # TF Serving's limit (saved_model_warmup_util)


@dataclass(frozen=True)
class TensorSpec:
    dtype: int  # tensorflow DataType enum
    shape: tuple[int, ...] | None  # -1 for an unknown size; None for an unknown rank


def _spec(info: meta_graph_pb2.TensorInfo) -> TensorSpec:
    shape = info.tensor_shape
    dims = None if shape.unknown_rank else tuple(dim.size for dim in shape.dim)
    return TensorSpec(info.dtype, dims)


class Signature:
    """A serving signature: typed inputs and outputs, and the graph function behind it."""

    def __init__(self, name: str, definition: meta_graph_pb2.SignatureDef, function: Any):
        self.name = name
        self.inputs = {alias: _spec(info) for alias, info in definition.inputs.items()}
        self.outputs = {alias: _spec(info) for alias, info in definition.outputs.items()}
        self._function = function

    def check_inputs(self, inputs: dict[str, np.ndarray]) -> int:
        """Checks names, dtypes and shapes as TF Serving does; returns the batch size."""
        sent, expected = set(inputs), set(self.inputs)
        if len(sent) != len(expected):
            raise invalid_argument(
                f"input size does not match signature: {len(sent)}!={len(expected)} "
                f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(expected))}}}). "
                f"Sent extra: {{{','.join(sorted(sent - expected))}}}. "
                f"Missing but required: {{{','.join(sorted(expected - sent))}}}."
            )
        batch_sizes = set()
        for alias, array in inputs.items():
            if alias not in self.inputs:
                raise invalid_argument(
                    f"input tensor alias not found in signature: {alias}. "
                    f"Inputs expected to be in the set {{{','.join(sorted(expected))}}}."
                )
            self._check_tensor(alias, array)
            batch_sizes.add(array.shape[0] if array.ndim else 1)
        if len(batch_sizes) > 1:
            raise invalid_argument(
                f"inputs of signature {self.name} must share their 0th dimension, "
                f"got sizes {sorted(batch_sizes)}"
            )
        return batch_sizes.pop() if batch_sizes else 0

    def _check_tensor(self, alias: str, array: np.ndarray) -> None:
        spec = self.inputs[alias]
        got = dtype_of(array)
        if got != spec.dtype:
            raise invalid_argument(
                f"input {alias} of signature {self.name}: expects dtype "
                f"{dtype_name(spec.dtype)}, got {dtype_name(got) if got else array.dtype}"
            )
        if spec.shape is None:
            return
        fits = len(spec.shape) == array.ndim and all(
            want in (-1, have) for want, have in zip(spec.shape, array.shape, strict=True)
        )
        if not fits:
            want_text = ",".join(str(d) for d in spec.shape)
            have_text = ",".join(str(d) for d in array.shape)
            raise invalid_argument(
                f"input {alias} of signature {self.name}: expects shape [{want_text}], "
                f"got [{have_text}]"
            )

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One graph call. Inputs must have passed check_inputs."""
        try:
            outputs = self._function(**{k: tf.constant(v) for k, v in inputs.items()})
        except tf.errors.OpError as exc:
            raise ServingError(_grpc_code(exc), exc.message) from exc
        return {alias: tensor.numpy() for alias, tensor in outputs.items()}


_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _grpc_code(exc: tf.errors.OpError) -> grpc.StatusCode:
    return _GRPC_CODES.get(exc.error_code, grpc.StatusCode.UNKNOWN)


class Servable:
    """A loaded, servable version of a model."""

    def __init__(
        self,
        path: Path,
        signature_defs: dict[str, meta_graph_pb2.SignatureDef],
        signatures: dict[str, Signature],
        loaded: Any,
    ):
        self.path = path
        self.signature_defs = signature_defs
        self.signatures = signatures
        self._loaded = loaded  # keeps the graph functions' variables alive

    @classmethod
    def load(cls, path: Path) -> "Servable":
        meta_graph = _read_meta_graph(path)
        try:
            loaded = tf.saved_model.load(str(path), tags=[SERVE_TAG])
        except Exception as exc:  # TF raises many types for corrupt models
            is_op_error = isinstance(exc, tf.errors.OpError)
            code = _grpc_code(exc) if is_op_error else grpc.StatusCode.UNKNOWN
            raise LoadError(f"failed to load SavedModel at {path}: {exc}", code) from exc
        signatures = {
            name: Signature(name, definition, loaded.signatures[name])
            for name, definition in meta_graph.signature_def.items()
            if name in loaded.signatures
        }
        if not signatures:
            raise LoadError(f"SavedModel at {path} has no serving signatures")
        return cls(path, dict(meta_graph.signature_def), signatures, loaded)

    def signature(self, name: str) -> Signature:
        found = self.signatures.get(name or DEFAULT_SIGNATURE)
        if found is None:
            raise ServingError(
                grpc.StatusCode.FAILED_PRECONDITION, f'Serving signature key "{name}" not found.'
            )
        return found

    def warm_up(self, iterations: int) -> int:
        """Replays assets.extra/tf_serving_warmup_requests; returns the records read."""
        path = self.path / WARMUP_FILE
        if not path.exists():
            return 0
        records = _read_warmup_records(path)
        for _ in range(iterations):
            for request in records:
                signature = self.signature(request.model_spec.signature_name)
                inputs = {k: to_ndarray(v, k) for k, v in request.inputs.items()}
                try:
                    signature.check_inputs(inputs)
                    signature.run(inputs)
                except ServingError as exc:
                    message = f"warmup request failed for {self.path}: {exc}"
                    raise LoadError(message, exc.code) from exc
        log.info(
            "Finished reading warmup data for model at %s. Number of warmup records read: %d.",
            path,
            len(records),
        )
        return len(records)


def _read_meta_graph(path: Path) -> meta_graph_pb2.MetaGraphDef:
    pb = path / "saved_model.pb"
    try:
        model = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    except OSError as exc:
        raise LoadError(f"cannot read {pb}: {exc.strerror}", grpc.StatusCode.NOT_FOUND) from exc
    except Exception as exc:  # DecodeError
        raise LoadError(f"{pb} is not a SavedModel: {exc}", grpc.StatusCode.DATA_LOSS) from exc
    for meta_graph in model.meta_graphs:
        if SERVE_TAG in meta_graph.meta_info_def.tags:
            return meta_graph
    raise LoadError(f"{pb} has no MetaGraph tagged {SERVE_TAG!r}")


def _read_warmup_records(path: Path) -> list[Any]:
    requests = []
    try:
        for raw in tf.data.TFRecordDataset(str(path)).as_numpy_iterator():
            log_entry = prediction_log_pb2.PredictionLog.FromString(raw)
            if log_entry.WhichOneof("log_type") != "predict_log":
                raise LoadError(f"{path}: only predict_log warmup records are supported")
            requests.append(log_entry.predict_log.request)
            if len(requests) > MAX_WARMUP_RECORDS:
                raise LoadError(
                    f"{path}: number of warmup records exceeds the maximum ({MAX_WARMUP_RECORDS})"
                )
    except (tf.errors.OpError, ValueError) as exc:
        raise LoadError(f"cannot read warmup records {path}: {exc}") from exc
    return requests
