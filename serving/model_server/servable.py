"""One loaded version of a model: its SavedModel signatures, input checks and warmup.

Every SavedModel, TF1 or TF2, is loaded as TF Serving loads it: its MetaGraph into a
session, each signature run by feeding and fetching the tensors its SignatureDef names.
So TF1 exports (`tf.compat.v1` graphs with assets and init ops) serve like TF2 ones, and
the graph, not a Python-side shape check, decides which shapes it takes (a `[2]` fed to a
`[-1,1]` input is as valid here as in TF Serving).
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2
from tensorflow_serving.apis import prediction_log_pb2

from serving.model_server.batching import Arrays
from serving.model_server.errors import LoadError, ServingError, invalid_argument
from serving.model_server.tensors import dtype_name, dtype_of, to_ndarray

log = logging.getLogger(__name__)

SERVE_TAG = "serve"
DEFAULT_SIGNATURE = "serving_default"  # TF Serving's kDefaultServingSignatureDefKey
INIT_OP_SIGNATURE = "__saved_model_init_op"  # TF2's init op, stored as a signature
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


Runner = Callable[[Arrays], Arrays]  # may raise tf.errors.OpError


class SessionRunner:
    """Runs a SignatureDef in a session: feeds its inputs, fetches all its outputs."""

    def __init__(self, definition: meta_graph_pb2.SignatureDef, session: Any):
        graph = session.graph
        self._feeds = {
            alias: graph.get_tensor_by_name(info.name)._as_tf_output()
            for alias, info in definition.inputs.items()
        }
        self._aliases = sorted(definition.outputs)
        self._fetches = [
            graph.get_tensor_by_name(definition.outputs[alias].name)._as_tf_output()
            for alias in self._aliases
        ]
        self._session = session

    def __call__(self, inputs: Arrays) -> Arrays:
        # What Session.run does after its Python-side shape check, which TF Serving's C++
        # session does not have: the graph's kernels judge the shapes.
        feeds = {port: inputs[alias] for alias, port in self._feeds.items()}
        values = self._session._call_tf_sessionrun(None, feeds, self._fetches, [], None)
        return {alias: np.asarray(v) for alias, v in zip(self._aliases, values, strict=True)}


class Signature:
    """A serving signature: typed inputs and outputs, and the graph call behind it."""

    def __init__(self, name: str, definition: meta_graph_pb2.SignatureDef, runner: Runner):
        self.name = name
        self.method_name = definition.method_name
        self.inputs = {alias: _spec(info) for alias, info in definition.inputs.items()}
        self.outputs = {alias: _spec(info) for alias, info in definition.outputs.items()}
        self._runner = runner

    def check_inputs(self, inputs: dict[str, np.ndarray]) -> None:
        """Checks names and dtypes as TF Serving does (shapes are the graph's to judge)."""
        sent, expected = set(inputs), set(self.inputs)
        if len(sent) != len(expected):
            raise invalid_argument(
                f"input size does not match signature: {len(sent)}!={len(expected)} "
                f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(expected))}}}). "
                f"Sent extra: {{{','.join(sorted(sent - expected))}}}. "
                f"Missing but required: {{{','.join(sorted(expected - sent))}}}."
            )
        for alias, array in inputs.items():
            if alias not in self.inputs:
                raise invalid_argument(
                    f"input tensor alias not found in signature: {alias}. "
                    f"Inputs expected to be in the set {{{','.join(sorted(expected))}}}."
                )
            self._check_dtype(alias, array)

    def _check_dtype(self, alias: str, array: np.ndarray) -> None:
        spec = self.inputs[alias]
        got = dtype_of(array)
        if got != spec.dtype:
            raise invalid_argument(
                f"input {alias} of signature {self.name}: expects dtype "
                f"{dtype_name(spec.dtype)}, got {dtype_name(got) if got else array.dtype}"
            )

    def run(self, inputs: Arrays) -> Arrays:
        """One graph call. Inputs must have passed check_inputs."""
        try:
            return self._runner(inputs)
        except tf.errors.OpError as exc:
            raise ServingError(_grpc_code(exc), exc.message) from exc


_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _grpc_code(exc: tf.errors.OpError) -> grpc.StatusCode:
    return _GRPC_CODES.get(exc.error_code, grpc.StatusCode.UNKNOWN)


def _session_config() -> tf.compat.v1.ConfigProto:
    """The threads asked for with TF Serving's flags (see server.configure_tensorflow)."""
    return tf.compat.v1.ConfigProto(
        intra_op_parallelism_threads=tf.config.threading.get_intra_op_parallelism_threads(),
        inter_op_parallelism_threads=tf.config.threading.get_inter_op_parallelism_threads(),
        allow_soft_placement=True,
    )


class Servable:
    """A loaded, servable version of a model."""

    def __init__(
        self,
        path: Path,
        signature_defs: dict[str, meta_graph_pb2.SignatureDef],
        signatures: dict[str, Signature],
        session: Any = None,
    ):
        self.path = path
        self.signature_defs = signature_defs
        self.signatures = signatures
        self._session = session

    @classmethod
    def load(cls, path: Path, tags: Sequence[str] = (SERVE_TAG,)) -> "Servable":
        meta_graph = _read_meta_graph(path, tags)
        graph = tf.Graph()
        session = tf.compat.v1.Session(graph=graph, config=_session_config())
        try:
            with graph.as_default():
                tf.compat.v1.saved_model.loader.load(session, list(tags), str(path))
            signatures = {
                name: Signature(name, definition, SessionRunner(definition, session))
                for name, definition in meta_graph.signature_def.items()
                if name != INIT_OP_SIGNATURE
            }
        except Exception as exc:  # TF raises many types for corrupt models
            session.close()
            is_op_error = isinstance(exc, tf.errors.OpError)
            code = _grpc_code(exc) if is_op_error else grpc.StatusCode.UNKNOWN
            raise LoadError(f"failed to load SavedModel at {path}: {exc}", code) from exc
        if not signatures:
            session.close()
            raise LoadError(f"SavedModel at {path} has no serving signatures")
        defs = {name: meta_graph.signature_def[name] for name in signatures}
        return cls(path, defs, signatures, session)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def signature(self, name: str) -> Signature:
        found = self.signatures.get(name or DEFAULT_SIGNATURE)
        if found is None:
            raise ServingError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'Serving signature key "{name or DEFAULT_SIGNATURE}" not found.',
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


def _read_meta_graph(path: Path, tags: Sequence[str]) -> meta_graph_pb2.MetaGraphDef:
    pb = path / "saved_model.pb"
    try:
        model = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    except OSError as exc:
        raise LoadError(f"cannot read {pb}: {exc.strerror}", grpc.StatusCode.NOT_FOUND) from exc
    except Exception as exc:  # DecodeError
        raise LoadError(f"{pb} is not a SavedModel: {exc}", grpc.StatusCode.DATA_LOSS) from exc
    for meta_graph in model.meta_graphs:
        if set(meta_graph.meta_info_def.tags) == set(tags):
            return meta_graph
    found = [sorted(m.meta_info_def.tags) for m in model.meta_graphs]
    raise LoadError(
        f"{pb} has no MetaGraph tagged {{{','.join(sorted(tags))}}}; it has {found}",
        grpc.StatusCode.NOT_FOUND,
    )


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
