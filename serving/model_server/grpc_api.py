"""gRPC front end: TF Serving's PredictionService and ModelService (grpc.aio).

Only wire formats are translated here; every call goes to the data plane or the control
plane, and a ServingError becomes its status code and message.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from grpc.aio import ServicerContext as Context
from tensorflow_serving.apis import (
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.model_server.control_plane import ControlPlane
from serving.model_server.data_plane import DataPlane
from serving.model_server.errors import ServingError
from serving.model_server.tensors import decode_inputs, fill_proto

T = TypeVar("T")


async def _answer(context: Context, call: Callable[[], Awaitable[T]]) -> T:
    """Runs one RPC; a ServingError becomes its status code and message."""
    try:
        return await call()
    except ServingError as exc:
        await context.abort(exc.code, exc.message)
        raise  # abort raises; this keeps type checkers content


async def _now(value: T) -> T:
    return value


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, data_plane: DataPlane, tensor_content: bool = False):
        self._data_plane = data_plane
        self._tensor_content = tensor_content  # --enable_serialization_as_tensor_content

    async def Predict(self, request: Any, context: Context) -> Any:
        # The hot path, so no closure and no intermediate TensorProto per output.
        try:
            inputs = decode_inputs(request.inputs)
            prediction = await self._data_plane.predict(
                request.model_spec,
                inputs,
                request.output_filter,
                entrypoint="GRPC",
                timeout=context.time_remaining(),
            )
        except ServingError as exc:
            await context.abort(exc.code, exc.message)
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
        await _unimplemented(context, "Classify")

    async def Regress(self, request: Any, context: Context) -> Any:
        await _unimplemented(context, "Regress")

    async def MultiInference(self, request: Any, context: Context) -> Any:
        await _unimplemented(context, "MultiInference")


async def _unimplemented(context: Context, api: str) -> None:
    await context.abort(
        grpc.StatusCode.UNIMPLEMENTED,
        f"{api} is not implemented by this model server: its models take tensors, "
        "use Predict (signatures serving_default, predict_images)",
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
) -> None:
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(data_plane, tensor_content), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(
        ModelServicer(data_plane, control_plane), server
    )
