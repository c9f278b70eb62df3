"""The data plane: Predict, metadata and status over the versions the manager holds.

Shared by the gRPC and REST front ends. Each operation takes a `ModelSpec` (name, and a
version, a label or neither) and raises ServingError with TF Serving's status codes and
messages; the front ends only translate wire formats. Named so as not to be confused with
TF Serving's gRPC `ModelService`: its GetModelStatus is answered here, its
HandleReloadConfigRequest by the control plane (control_plane.py).
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
import numpy as np
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_pb2,
    regression_pb2,
)

from serving.model_server import inference
from serving.model_server.batching import Arrays, BatchScheduler
from serving.model_server.config import BatchingOptions
from serving.model_server.errors import ServingError, invalid_argument
from serving.model_server.manager import ModelManager
from serving.model_server.metrics import Metrics
from serving.model_server.servable import DEFAULT_SIGNATURE, Signature, TensorSpec

Timeout = float | None
SIGNATURE_DEF_FIELD = "signature_def"


@dataclass(frozen=True)
class Prediction:
    model_name: str
    version: int
    signature_name: str
    outputs: Arrays

    def model_spec(self) -> model_pb2.ModelSpec:
        """The spec an answer carries: the name, version and signature that answered."""
        spec = model_pb2.ModelSpec(name=self.model_name, signature_name=self.signature_name)
        spec.version.value = self.version
        return spec


def _version_of(spec: model_pb2.ModelSpec) -> int | None:
    return spec.version.value if spec.HasField("version") else None


def _select_outputs(signature: Signature, output_filter: Sequence[str]) -> list[str] | None:
    """The aliases asked for, or None for all of them."""
    if not output_filter:
        return None
    seen: set[str] = set()
    for alias in output_filter:
        if alias not in signature.outputs:
            raise invalid_argument(
                f"output tensor alias not found in signature: {alias} Outputs expected to be "
                f"in the set {{{','.join(sorted(signature.outputs))}}}."
            )
        if alias in seen:
            raise invalid_argument(f"duplicate output tensor alias: {alias}")
        seen.add(alias)
    return list(output_filter)


def _batch_rows(signature_name: str, inputs: Arrays) -> int:
    """The rows a request adds to a batch. Merged along axis 0, a batch's inputs must agree
    on it (TF Serving's batcher too)."""
    sizes = {array.shape[0] if array.ndim else 1 for array in inputs.values()}
    if len(sizes) > 1:
        raise invalid_argument(
            f"inputs of signature {signature_name} must share their 0th dimension "
            f"to be batched, got sizes {sorted(sizes)}"
        )
    return sizes.pop() if sizes else 0


class DataPlane:
    """Predict, metadata and status over the versions the manager holds."""

    def __init__(
        self,
        manager: ModelManager,
        metrics: Metrics,
        batching: BatchingOptions | None,
        model_threads: int,
        method_check: bool = False,
    ):
        self._manager = manager
        self._method_check = method_check  # --enable_signature_method_name_check
        self._metrics = metrics
        self._executor = ThreadPoolExecutor(model_threads, thread_name_prefix="model")
        self._batcher = (
            BatchScheduler(batching, self._executor, self._record_batch) if batching else None
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- Predict ---------------------------------------------------------------------------

    async def predict(
        self,
        spec: model_pb2.ModelSpec,
        inputs: Arrays,
        output_filter: Sequence[str],
        entrypoint: str,
        timeout: float | None = None,
    ) -> Prediction:
        def prepare(signature: Signature) -> tuple[Arrays, list[str] | None]:
            signature.check_inputs(inputs)
            return inputs, _select_outputs(signature, output_filter)

        return await self._infer(spec, "predict", entrypoint, timeout, prepare)

    async def classify(
        self,
        spec: model_pb2.ModelSpec,
        examples: np.ndarray,
        entrypoint: str,
        timeout: float | None,
    ) -> tuple[Prediction, classification_pb2.ClassificationResult]:
        def prepare(signature: Signature) -> tuple[Arrays, list[str] | None]:
            inference.check_method(signature, inference.CLASSIFY_METHOD, self._method_check)
            inference.classification_outputs(signature)
            return inference.example_inputs(signature, examples), None

        prediction = await self._infer(spec, "classify", entrypoint, timeout, prepare)
        return prediction, inference.classification_result(prediction.outputs, len(examples))

    async def regress(
        self,
        spec: model_pb2.ModelSpec,
        examples: np.ndarray,
        entrypoint: str,
        timeout: float | None,
    ) -> tuple[Prediction, regression_pb2.RegressionResult]:
        def prepare(signature: Signature) -> tuple[Arrays, list[str] | None]:
            inference.check_method(signature, inference.REGRESS_METHOD, self._method_check)
            inference.regression_outputs(signature)
            return inference.example_inputs(signature, examples), None

        prediction = await self._infer(spec, "regress", entrypoint, timeout, prepare)
        return prediction, inference.regression_result(prediction.outputs, len(examples))

    async def multi_inference(
        self, request: inference_pb2.MultiInferenceRequest, entrypoint: str, timeout: Timeout
    ) -> inference_pb2.MultiInferenceResponse:
        """Each task on the shared examples, in order; TF Serving's rules for the tasks."""
        inference.check_tasks(request.tasks)
        examples = inference.serialized_examples(request.input)
        response = inference_pb2.MultiInferenceResponse()
        for task in request.tasks:
            result = response.results.add()
            if task.method_name == inference.CLASSIFY_METHOD:
                done, classified = await self.classify(
                    task.model_spec, examples, entrypoint, timeout
                )
                result.classification_result.CopyFrom(classified)
            else:
                done, regressed = await self.regress(task.model_spec, examples, entrypoint, timeout)
                result.regression_result.CopyFrom(regressed)
            result.model_spec.CopyFrom(done.model_spec())
        return response

    async def _infer(
        self,
        spec: model_pb2.ModelSpec,
        api: str,
        entrypoint: str,
        timeout: float | None,
        prepare: Callable[[Signature], tuple[Arrays, list[str] | None]],
    ) -> Prediction:
        """One signature call: `prepare` checks the signature and gives its inputs and the
        outputs wanted (None: all); counted and timed under `api`, as TF Serving does."""
        started = time.perf_counter()
        name, version, signature_name = spec.name, "", spec.signature_name
        try:
            with self._manager.acquire(name, _version_of(spec), spec.version_label) as held:
                version = str(held.version)
                signature = held.servable.signature(signature_name)
                signature_name = signature.name
                inputs, wanted = prepare(signature)
                key = (name, held.version, signature_name)
                async with asyncio.timeout(timeout):  # unlike wait_for, no task per request
                    outputs = await self._run(key, signature, inputs)
        except TimeoutError as exc:
            self._count(name, version, signature_name, "DEADLINE_EXCEEDED")
            raise ServingError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded") from exc
        except ServingError as exc:
            self._count(name, version, signature_name, exc.code_name)
            raise
        if wanted is not None:
            outputs = {alias: outputs[alias] for alias in wanted}
        self._count(name, version, signature_name, "OK")
        self._metrics.request_latency.observe(
            (time.perf_counter() - started) * 1e6,
            model_name=name,
            API=api,
            entrypoint=entrypoint,
            version=version,
        )
        return Prediction(name, held.version, signature_name, outputs)

    async def _run(self, key: tuple[str, int, str], signature: Signature, inputs: Arrays) -> Arrays:
        if self._batcher is not None:
            rows = _batch_rows(signature.name, inputs)
            return await self._batcher.submit(key, signature, inputs, rows)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        outputs = await loop.run_in_executor(self._executor, signature.run, inputs)
        self._record_run(key, (time.perf_counter() - started) * 1e6)
        return outputs

    def _record_batch(self, key: tuple[str, int, str], rows: int, micros: float) -> None:
        name, version, signature = key
        self._metrics.processed_batch_size.observe(
            rows, model_name=name, version=str(version), signature=signature
        )
        self._record_run(key, micros)

    def _record_run(self, key: tuple[str, int, str], micros: float) -> None:
        name, version, signature = key
        self._metrics.runtime_latency.observe(
            micros,
            model_name=name,
            API="predict",
            runtime="TF2",
            version=str(version),
            signature=signature,
        )

    def _count(self, name: str, version: str, signature: str, status: str) -> None:
        self._metrics.request_count.inc(
            1, model_name=name, status=status, version=version, signature=signature
        )

    def input_specs(self, spec: model_pb2.ModelSpec) -> dict[str, TensorSpec]:
        """What REST needs to type JSON values, as TF Serving's GetInfoMap."""
        with self._manager.acquire(spec.name, _version_of(spec), spec.version_label) as held:
            name = spec.signature_name or DEFAULT_SIGNATURE
            signature = held.servable.signatures.get(name)
            if signature is None:
                raise invalid_argument(
                    f'Serving signature name: "{name}" not found in signature def'
                )
            return signature.inputs

    # ---- GetModelMetadata ------------------------------------------------------------------

    def metadata(
        self, request: get_model_metadata_pb2.GetModelMetadataRequest
    ) -> get_model_metadata_pb2.GetModelMetadataResponse:
        if not request.metadata_field:
            raise invalid_argument(
                "GetModelMetadataRequest must specify at least one metadata_field"
            )
        for field in request.metadata_field:
            if field != SIGNATURE_DEF_FIELD:
                raise invalid_argument(f"Metadata field {field} is not supported")
        spec = request.model_spec
        with self._manager.acquire(spec.name, _version_of(spec), spec.version_label) as held:
            response = get_model_metadata_pb2.GetModelMetadataResponse()
            response.model_spec.name = spec.name
            response.model_spec.version.value = held.version
            signature_map = get_model_metadata_pb2.SignatureDefMap()
            for name, definition in held.servable.signature_defs.items():
                signature_map.signature_def[name].CopyFrom(definition)
            response.metadata[SIGNATURE_DEF_FIELD].Pack(signature_map)
            return response

    # ---- GetModelStatus --------------------------------------------------------------------

    def status(
        self, request: get_model_status_pb2.GetModelStatusRequest
    ) -> get_model_status_pb2.GetModelStatusResponse:
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        spec = request.model_spec
        response = get_model_status_pb2.GetModelStatusResponse()
        for version in self._manager.status(spec.name, _version_of(spec), spec.version_label):
            status = response.model_version_status.add(version=version.version, state=version.state)
            status.status.error_code = version.error_code.value[0]
            status.status.error_message = version.error_message
        return response
