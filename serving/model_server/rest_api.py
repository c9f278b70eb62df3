"""REST front end with TF Serving's routes and JSON formats (Starlette, served by uvicorn).

    GET  /v1/models/{name}[/versions/{v}|/labels/{l}]             status
    GET  /v1/models/{name}[/versions/{v}|/labels/{l}]/metadata    signature defs
    POST /v1/models/{name}[/versions/{v}|/labels/{l}]:predict     `instances` or `inputs`
    GET  {prometheus path from monitoring.config}                 metrics

Errors are `{"error": "..."}` with the HTTP status TF Serving gives for the gRPC code.
"""

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

import grpc
import numpy as np
from google.protobuf import json_format
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from serving.model_server.data_plane import SIGNATURE_DEF_FIELD, DataPlane, Prediction
from serving.model_server.errors import ServingError, invalid_argument
from serving.model_server.flags import Options
from serving.model_server.metrics import Metrics
from serving.model_server.servable import TensorSpec
from serving.model_server.tensors import dtype_name, numpy_dtype

MAX_BODY_BYTES = 64 * 1024 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET",
    "Access-Control-Allow-Headers": "Content-Type",
}
_PATH = re.compile(
    r"/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?"
    r"(?:/(?P<resource>metadata)|:(?P<method>predict|classify|regress))?"
)


def _error(exc: ServingError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.http_status)


def _proto_json(message: Message) -> JSONResponse:
    return JSONResponse(
        json_format.MessageToDict(
            message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    )


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ServingError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"request body of {declared} bytes exceeds the limit of {MAX_BODY_BYTES} bytes",
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ServingError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"request body exceeds the limit of {MAX_BODY_BYTES} bytes",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _to_array(alias: str, value: Any, spec: TensorSpec) -> np.ndarray:
    dtype = numpy_dtype(spec.dtype)
    if dtype is None:
        raise invalid_argument(f"input {alias}: dtype {dtype_name(spec.dtype)} not supported")
    try:
        array: np.ndarray = np.asarray(value, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise invalid_argument(
            f"input {alias}: expects a (nested) list of numbers of equal lengths: {exc}"
        ) from exc
    return array


def parse_predict_body(
    body: dict[str, Any], specs: dict[str, TensorSpec]
) -> tuple[dict[str, np.ndarray], bool]:
    """JSON request -> input arrays; second item: True for the row (`instances`) format."""
    if ("instances" in body) == ("inputs" in body):
        if "instances" in body:
            raise invalid_argument(
                "Not formatted correctly expecting only one of 'inputs' or 'instances' keys exist"
            )
        raise invalid_argument("Missing 'inputs' or 'instances' key")
    if "instances" in body:
        rows = body["instances"]
        if not isinstance(rows, list):
            raise invalid_argument("'instances' must be a JSON list")
        if all(isinstance(row, dict) for row in rows) and rows:
            columns = {alias: [row.get(alias) for row in rows] for alias in rows[0]}
        elif len(specs) == 1:
            columns = {next(iter(specs)): rows}
        else:
            raise invalid_argument("instances must be objects naming each input")
        named, row_format = columns, True
    else:
        value = body["inputs"]
        named = value if isinstance(value, dict) else {next(iter(specs)): value}
        row_format = False
    arrays = {}
    for alias, value in named.items():
        if alias not in specs:
            raise invalid_argument(
                f"input tensor alias not found in signature: {alias}. "
                f"Inputs expected to be in the set {{{','.join(sorted(specs))}}}."
            )
        arrays[alias] = _to_array(alias, value, specs[alias])
    return arrays, row_format


def format_predictions(prediction: Prediction, row_format: bool) -> dict[str, Any]:
    outputs = prediction.outputs
    if not row_format:
        if len(outputs) == 1:
            return {"outputs": next(iter(outputs.values())).tolist()}
        return {"outputs": {alias: value.tolist() for alias, value in outputs.items()}}
    if len(outputs) == 1:
        return {"predictions": next(iter(outputs.values())).tolist()}
    columns = {alias: value.tolist() for alias, value in outputs.items()}
    count = len(next(iter(columns.values())))
    rows = [{alias: col[i] for alias, col in columns.items()} for i in range(count)]
    return {"predictions": rows}


@dataclass(frozen=True)
class RestOptions:
    timeout: float | None = None  # --rest_api_timeout_in_ms
    prometheus_path: str | None = None  # from --monitoring_config_file
    cors: bool = False  # --rest_api_enable_cors_support
    max_in_flight: int = 0  # --rest_api_num_threads; 0: no bound

    @classmethod
    def of(cls, options: Options) -> "RestOptions":
        return cls(
            options.rest_api_timeout_seconds,
            options.prometheus_path,
            options.enable_cors,
            options.rest_api_num_threads,
        )


class RestApi:
    def __init__(self, data_plane: DataPlane, metrics: Metrics, options: RestOptions):
        self._data_plane = data_plane
        self._metrics = metrics
        self._timeout = options.timeout
        self._cors = options.cors
        # TF Serving answers REST on a pool of that many threads: at most that many at once.
        self._slots = asyncio.Semaphore(options.max_in_flight) if options.max_in_flight else None
        methods = ["GET", "POST", "OPTIONS"]
        routes = [Route("/{path:path}", self._dispatch_bounded, methods=methods)]
        if options.prometheus_path:
            routes.insert(0, Route(options.prometheus_path, self._exposition, methods=["GET"]))
        self.app = Starlette(routes=routes)

    async def _dispatch_bounded(self, request: Request) -> Response:
        if self._slots is None:
            response = await self._dispatch(request)
        else:
            async with self._slots:
                response = await self._dispatch(request)
        if self._cors:
            response.headers.update(CORS_HEADERS)
        return response

    async def _exposition(self, request: Request) -> Response:
        text = self._metrics.exposition()
        return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    async def _dispatch(self, request: Request) -> Response:
        path, method = request.url.path, request.method
        match = _PATH.fullmatch(path)
        try:
            if match is None:
                raise ServingError(grpc.StatusCode.NOT_FOUND, f"Malformed request: {method} {path}")
            spec = model_pb2.ModelSpec(name=match["name"])
            if match["version"]:
                spec.version.value = int(match["version"])
            elif match["label"]:
                spec.version_label = match["label"]
            if method == "POST" and match["method"] == "predict":
                return await self._predict(request, spec)
            if method == "POST" and match["method"]:
                raise ServingError(
                    grpc.StatusCode.UNIMPLEMENTED,
                    f"{match['method']} is not implemented by this model server; use predict",
                )
            if method == "GET" and not match["method"]:
                return self._metadata(spec) if match["resource"] else self._status(spec)
            raise invalid_argument(f"Malformed request: {method} {path}")
        except ServingError as exc:
            return _error(exc)

    def _status(self, spec: model_pb2.ModelSpec) -> Response:
        request = get_model_status_pb2.GetModelStatusRequest(model_spec=spec)
        return _proto_json(self._data_plane.status(request))

    def _metadata(self, spec: model_pb2.ModelSpec) -> Response:
        request = get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec=spec, metadata_field=[SIGNATURE_DEF_FIELD]
        )
        return _proto_json(self._data_plane.metadata(request))

    async def _predict(self, request: Request, spec: model_pb2.ModelSpec) -> Response:
        raw = await _read_body(request)
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise invalid_argument(f"JSON Parse error: {exc}") from exc
        if not isinstance(body, dict):
            raise invalid_argument("JSON Parse error: the request body must be a JSON object")
        signature_name = body.get("signature_name", "")
        if not isinstance(signature_name, str):
            raise invalid_argument("'signature_name' key must be a string value.")
        spec.signature_name = signature_name
        inputs, row_format = parse_predict_body(body, self._data_plane.input_specs(spec))
        prediction = await self._data_plane.predict(
            spec, inputs, [], entrypoint="REST", timeout=self._timeout
        )
        return JSONResponse(format_predictions(prediction, row_format))
