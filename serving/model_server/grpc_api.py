"""gRPC front end: TF Serving's PredictionService and ModelService (grpc.aio).

Only wire formats are translated here; every call goes to the data plane or the control
plane, and a ServingError becomes its status code and message.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from grpc.aio import ServicerContext as Context
from tensorflow_serving.apis import (
    classification_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from serving.model_server.control_plane import ControlPlane
from serving.model_server.data_plane import DataPlane
from serving.model_server.errors import ServingError
from serving.model_server.inference import serialized_examples
from serving.model_server.limits import MAX_REQUEST_TENSOR_BYTES
from serving.model_server.tensors import decode_inputs, fill_proto

T = TypeVar("T")
log = logging.getLogger("serving.model_server")
REQUEST_ID = "x-request-id"  # the gateway's request id, as gRPC metadata


async def _answer(context: Context, call: Callable[[], Awaitable[T]]) -> T:
    """Runs one RPC; a ServingError becomes its status code and message."""
    try:
        return await call()
    except ServingError as exc:
        await _fail(context, exc)
        raise  # abort raises; this keeps type checkers content


async def _fail(context: Context, exc: ServingError) -> None:
    """Logs a failed call with the caller's request id (metadata `x-request-id`), aborts it."""
    request_id = next(
        (value for key, value in context.invocation_metadata() or () if key == REQUEST_ID), "-"
    )
    log.info("request failed: %s: %s (x-request-id %s)", exc.code_name, exc.message, request_id)
    await context.abort(exc.code, exc.message)


async def _now(value: T) -> T:
    return value


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(
        self,
        data_plane: DataPlane,
        tensor_content: bool = False,
        max_tensor_bytes: int = MAX_REQUEST_TENSOR_BYTES,
    ):
        self._data_plane = data_plane
        self._max_tensor_bytes = max_tensor_bytes  # --max_request_tensor_bytes
        self._tensor_content = tensor_content  # --enable_serialization_as_tensor_content

    async def Predict(self, request: Any, context: Context) -> Any:
        # The hot path, so no closure and no intermediate TensorProto per output.
        try:
            inputs = decode_inputs(request.inputs, self._max_tensor_bytes)
            prediction = await self._data_plane.predict(
                request.model_spec,
                inputs,
                request.output_filter,
                entrypoint="GRPC",
                timeout=context.time_remaining(),
            )
        except ServingError as exc:
            await _fail(context, exc)
            raise
        response = predict_pb2.PredictResponse()
        spec = response.model_spec
        spec.name = prediction.model_name
        spec.version.value = prediction.version
        spec.signature_name = prediction.signature_name
        for alias, value in prediction.outputs.items():
            fill_proto(response.outputs[alias], value, self._tensor_content)
        return response

    async def GetModelMetadata(self, request: Any, context: Context) -> Any:
        return await _answer(context, lambda: _now(self._data_plane.metadata(request)))

    async def Classify(self, request: Any, context: Context) -> Any:
        response = classification_pb2.ClassificationResponse
        return await self._on_examples(request, context, self._data_plane.classify, response)

    async def Regress(self, request: Any, context: Context) -> Any:
        response = regression_pb2.RegressionResponse
        return await self._on_examples(request, context, self._data_plane.regress, response)

    async def _on_examples(
        self, request: Any, context: Context, method: Callable[..., Any], response_type: Any
    ) -> Any:
        """Classify or Regress: the request's tf.Examples through `method`, one answer."""

        async def call() -> Any:
            examples = serialized_examples(request.input)
            done, result = await method(
                request.model_spec, examples, "GRPC", context.time_remaining()
            )
            response = response_type(result=result)
            response.model_spec.CopyFrom(done.model_spec())
            return response

        return await _answer(context, call)

    async def MultiInference(self, request: Any, context: Context) -> Any:
        return await _answer(
            context,
            lambda: self._data_plane.multi_inference(request, "GRPC", context.time_remaining()),
        )


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, data_plane: DataPlane, control_plane: ControlPlane):
        self._data_plane = data_plane
        self._control_plane = control_plane

    async def GetModelStatus(self, request: Any, context: Context) -> Any:
        return await _answer(context, lambda: _now(self._data_plane.status(request)))

    async def HandleReloadConfigRequest(self, request: Any, context: Context) -> Any:
        await _answer(context, lambda: self._control_plane.reload_config(request.config))
        return model_management_pb2.ReloadConfigResponse()


def add_services(
    server: grpc.aio.Server,
    data_plane: DataPlane,
    control_plane: ControlPlane,
    tensor_content: bool = False,
    max_tensor_bytes: int = MAX_REQUEST_TENSOR_BYTES,
) -> None:
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(data_plane, tensor_content, max_tensor_bytes), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(
        ModelServicer(data_plane, control_plane), server
    )
