"""gRPC front end: TF Serving's PredictionService and ModelService (grpc.aio)."""

import asyncio
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

from serving.model_server.config import Mount, resolve_model_config
from serving.model_server.errors import ConfigError, ServingError
from serving.model_server.service import ModelService
from serving.model_server.tensors import fill_proto, to_ndarray

T = TypeVar("T")


async def _answer(context: Context, call: Callable[[], Awaitable[T]]) -> T:
    """Runs one RPC; a ServingError becomes its status code and message."""
    try:
        return await call()
    except ServingError as exc:
        await context.abort(exc.code, exc.message)
        raise  # abort raises; this keeps type checkers content


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, service: ModelService):
        self._service = service

    async def Predict(self, request: Any, context: Context) -> Any:
        # The hot path, so no closure and no intermediate TensorProto per output.
        try:
            inputs = {alias: to_ndarray(t, alias) for alias, t in request.inputs.items()}
            prediction = await self._service.predict(
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
            fill_proto(response.outputs[alias], value)
        return response

    async def GetModelMetadata(self, request: Any, context: Context) -> Any:
        return await _answer(context, lambda: _now(self._service.metadata(request)))

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


async def _now(value: T) -> T:
    return value


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, service: ModelService, mount: Mount | None):
        self._service = service
        self._mount = mount  # --mount applies to reloaded configs as to the config file

    async def GetModelStatus(self, request: Any, context: Context) -> Any:
        return await _answer(context, lambda: _now(self._service.status(request)))

    async def HandleReloadConfigRequest(self, request: Any, context: Context) -> Any:
        response = model_management_pb2.ReloadConfigResponse()
        try:
            config = resolve_model_config(request.config, self._mount)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._service.manager.apply_config, config)
        except ConfigError as exc:
            error = ServingError(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except ServingError as exc:
            error = exc
        else:
            return response
        response.status.error_code = error.code.value[0]
        response.status.error_message = error.message
        await context.abort(error.code, error.message)
        return response


def add_services(server: grpc.aio.Server, service: ModelService, mount: Mount | None) -> None:
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(service), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(service, mount), server)
