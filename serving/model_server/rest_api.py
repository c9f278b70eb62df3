"""REST front end with TF Serving's routes, JSON and errors (Starlette, served by uvicorn).

    GET  /v1/models/{name}[/versions/{v}|/labels/{l}]             status
    GET  /v1/models/{name}[/versions/{v}|/labels/{l}]/metadata    signature defs
    POST /v1/models/{name}[/versions/{v}|/labels/{l}]:predict     `instances` or `inputs`
    POST /v1/models/{name}[/versions/{v}|/labels/{l}]:classify    `examples` (+ `context`)
    POST /v1/models/{name}[/versions/{v}|/labels/{l}]:regress     `examples` (+ `context`)
    GET  {prometheus path from monitoring.config}                 metrics

The paths are TF Serving's regular expressions (http_rest_api_util.cc), case-insensitive;
anything else under /v1/ is 400 "Malformed request". Every answer, errors included, is JSON
written as TF Serving writes it (rest_answers.py), `{"error": "..."}` with the HTTP status
TF Serving gives for the gRPC code; an unexpected failure is a JSON 500, never plain text.
"""

import asyncio
import json
import logging
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from serving.model_server import rest_answers, rest_examples, rest_json
from serving.model_server.data_plane import SIGNATURE_DEF_FIELD, DataPlane
from serving.model_server.errors import ServingError, invalid_argument
from serving.model_server.flags import Options
from serving.model_server.inference import serialized_examples
from serving.model_server.limits import MAX_REQUEST_TENSOR_BYTES
from serving.model_server.metrics import Metrics
from serving.model_server.tensors import decode_inputs

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET",
    "Access-Control-Allow-Headers": "Content-Type",
}
_SPEC = r"(?:(?:/versions/(?P<version>\d+))|(?:/labels/(?P<label>[^/:]+)))?"
_POST = re.compile(
    rf"/v1/models/(?P<name>[^/:]+){_SPEC}:(?P<method>classify|regress|predict)", re.I
)
_GET = re.compile(rf"/v1/models(?:/(?P<name>[^/:]+))?{_SPEC}(?:/(?P<resource>metadata))?", re.I)
_INT64_MAX = 2**63 - 1


def _json(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type="application/json")


def _error(exc: ServingError) -> Response:
    return _json(rest_answers.error(exc.message), exc.http_status)


def _proto_json(message: Message) -> str:
    """Protobuf's JSON printer with whitespace, as TF Serving prints status and metadata."""
    as_dict = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return json.dumps(as_dict, indent=1, ensure_ascii=False)


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


def _model_spec(match: re.Match[str]) -> model_pb2.ModelSpec:
    """FillModelSpecWithNameVersionAndLabel, with ParseModelInfo's errors."""
    spec = model_pb2.ModelSpec(name=urllib.parse.unquote(match["name"] or ""))
    if match["version"]:
        version = int(match["version"])
        if version > _INT64_MAX:
            raise invalid_argument(f"Failed to convert version: {match['version']} to numeric.")
        spec.version.value = version
    elif match["label"]:
        spec.version_label = urllib.parse.unquote(match["label"])
    return spec


@dataclass(frozen=True)
class RestOptions:
    timeout: float | None = None  # --rest_api_timeout_in_ms
    prometheus_path: str | None = None  # from --monitoring_config_file
    cors: bool = False  # --rest_api_enable_cors_support
    max_in_flight: int = 0  # --rest_api_num_threads; 0: no bound
    max_tensor_bytes: int = MAX_REQUEST_TENSOR_BYTES  # --max_request_tensor_bytes

    @classmethod
    def of(cls, options: Options) -> "RestOptions":
        return cls(
            options.rest_api_timeout_seconds,
            options.prometheus_path,
            options.enable_cors,
            options.rest_api_num_threads,
            options.max_request_tensor_bytes,
        )


class RestApi:
    def __init__(self, data_plane: DataPlane, metrics: Metrics, options: RestOptions):
        self._data_plane = data_plane
        self._metrics = metrics
        self._timeout = options.timeout
        self._cors = options.cors
        self._max_tensor_bytes = options.max_tensor_bytes
        # TF Serving answers REST on a pool of that many threads: at most that many at once.
        self._slots = asyncio.Semaphore(options.max_in_flight) if options.max_in_flight else None
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
        routes = [Route("/{path:path}", self._bounded, methods=methods)]
        if options.prometheus_path:
            routes.insert(0, Route(options.prometheus_path, self._exposition, methods=["GET"]))
        self.app = Starlette(routes=routes)

    async def _exposition(self, request: Request) -> Response:
        text = self._metrics.exposition()
        return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    async def _bounded(self, request: Request) -> Response:
        if self._slots is None:
            response = await self._answer(request)
        else:
            async with self._slots:
                response = await self._answer(request)
        if self._cors:
            response.headers.update(CORS_HEADERS)
        return response

    async def _answer(self, request: Request) -> Response:
        """Any failure becomes JSON: TF Serving's code and words, or a logged INTERNAL."""
        try:
            return await self._dispatch(request)
        except ServingError as exc:
            return _error(exc)
        except Exception:
            log.exception("REST %s %s failed", request.method, request.url.path)
            return _error(ServingError(grpc.StatusCode.INTERNAL, "Internal server error"))

    async def _dispatch(self, request: Request) -> Response:
        method = request.method
        path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        path = path.split("?", 1)[0]
        if method == "OPTIONS":
            return self._preflight(request)
        if not path.lower().startswith("/v1/"):
            raise ServingError(grpc.StatusCode.NOT_FOUND, f"Malformed request: {method} {path}")
        malformed = invalid_argument(f"Malformed request: {method} {path}")
        if method == "POST" and (match := _POST.fullmatch(path)):
            spec = _model_spec(match)
            call = {"predict": self._predict, "classify": self._classify, "regress": self._regress}
            handler = call.get(match["method"])
            if handler is None:  # `:PREDICT`: the path matches, TF Serving's dispatch does not
                raise malformed
            return await handler(request, spec)
        if method == "GET" and (match := _GET.fullmatch(path)):
            spec = _model_spec(match)
            if not spec.name:
                raise invalid_argument("Missing model name in request.")
            return self._metadata(spec) if match["resource"] else self._status(spec)
        raise malformed

    def _preflight(self, request: Request) -> Response:
        if re.search(r"https?://", request.headers.get("origin", "")):
            return _json("")
        raise ServingError(
            grpc.StatusCode.FAILED_PRECONDITION, "Origin header is missing in CORS preflight"
        )

    def _status(self, spec: model_pb2.ModelSpec) -> Response:
        request = get_model_status_pb2.GetModelStatusRequest(model_spec=spec)
        return _json(_proto_json(self._data_plane.status(request)))

    def _metadata(self, spec: model_pb2.ModelSpec) -> Response:
        """ToJsonString(GetModelMetadataResponse): the signatures unpacked, no `@type`."""
        request = get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec=spec, metadata_field=[SIGNATURE_DEF_FIELD]
        )
        response = self._data_plane.metadata(request)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        response.metadata[SIGNATURE_DEF_FIELD].Unpack(signatures)
        text = (
            f'{{\n"model_spec":{_proto_json(response.model_spec)},\n'
            f'"metadata": {{"signature_def": {_proto_json(signatures)}}}\n}}\n'
        )
        return _json(text)

    async def _body(self, request: Request) -> dict[str, Any]:
        return rest_json.parse_json(await _read_body(request))

    async def _predict(self, request: Request, spec: model_pb2.ModelSpec) -> Response:
        body = await self._body(request)
        spec.signature_name = rest_json.signature_name(body)
        specs = self._data_plane.input_specs(spec)
        if not specs:
            raise invalid_argument(
                f"Failed to get input map for signature: {spec.signature_name or 'DEFAULT'}"
            )
        dtypes = {alias: info.dtype for alias, info in specs.items()}
        protos, row_format = rest_json.predict_tensors(body, dtypes)
        prediction = await self._data_plane.predict(
            spec,
            decode_inputs(protos, self._max_tensor_bytes),
            [],
            entrypoint="REST",
            timeout=self._timeout,
        )
        if not prediction.outputs:
            raise invalid_argument("Cannot convert empty tensor map to JSON")
        if row_format:
            try:
                return _json(rest_answers.predictions(prediction.outputs))
            except ValueError as exc:
                raise invalid_argument(str(exc)) from exc
        return _json(rest_answers.outputs_json(prediction.outputs))

    async def _classify(self, request: Request, spec: model_pb2.ModelSpec) -> Response:
        result = await self._on_examples(request, spec, "classify", self._data_plane.classify)
        return _json(rest_answers.classify_results(result))

    async def _regress(self, request: Request, spec: model_pb2.ModelSpec) -> Response:
        result = await self._on_examples(request, spec, "regress", self._data_plane.regress)
        return _json(rest_answers.regress_results(result))

    async def _on_examples(
        self, request: Request, spec: model_pb2.ModelSpec, verb: str, method: Callable[..., Any]
    ) -> Any:
        """`:classify` or `:regress`: the body's tf.Examples through `method`; its result."""
        body = await self._body(request)
        spec.signature_name = rest_json.signature_name(body)
        examples = serialized_examples(rest_examples.examples_input(body, verb))
        _, result = await method(spec, examples, "REST", self._timeout)
        return result
