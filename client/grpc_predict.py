"""`python -m client grpc IMG ...`: straight to TF Serving (or the local model server).

Each image is read as the digits it shows (reader.reading, as the gateway reads it), one
`Predict` call on the `serving_default` signature carries every digit of every image, and
each image is judged (reader.judge) by the calibration of the version that answered (it
comes with the answer): a digit, uncertain, a number or not a digit. No gateway, no
TensorFlow.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import grpc
import numpy as np

from client.answers import COLUMNS, as_json, cells
from client.errors import Unreachable, read_files
from client.report import format_table
from contract.model import (
    DIGIT_SCORE,
    IMAGE_SHAPE,
    INPUT_NAME,
    MODEL_NAME,
    PROBABILITIES,
    SERVING_DEFAULT,
)
from contract.ports import GRPC_PORT
from reader.judge import Answer, Calibration, judge_all
from reader.preprocessing import ImageError
from reader.reading import Reading, read
from serving.tfs_api import predict_pb2
from serving.tfs_api.stubs import PredictionServiceStub
from serving.tfs_api.tensors import make_ndarray, make_tensor_proto


class ModelServerError(Exception):
    """The model server cannot be reached or refused the call; the message says which."""


class ModelServerUnavailable(ModelServerError):
    """Nothing answers at the address (gRPC's UNAVAILABLE)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, metavar="IMG")
    parser.add_argument(
        "--server", default=f"localhost:{GRPC_PORT}", help="model server gRPC target"
    )
    parser.add_argument("--model-name", default=MODEL_NAME)
    pin = parser.add_mutually_exclusive_group()
    pin.add_argument("--version", type=int, help="ask this model version")
    pin.add_argument("--label", help="ask the version with this label")
    parser.add_argument("--timeout", type=float, default=10.0, help="RPC deadline in seconds")


def run(args: argparse.Namespace) -> int:
    images, rows = read_files(args.images), []
    try:
        answers = asyncio.run(_predict_all(args, images))
    except ModelServerUnavailable as exc:
        raise Unreachable(str(exc)) from exc
    except ModelServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for (path, _), answer in zip(images, answers, strict=True):
        if isinstance(answer, str):
            rows.append([str(path), "-", "-", "-", "-", f"error: {answer}"])
        else:
            judged, version = answer
            rows.append([str(path), *cells(as_json(judged), version), ""])
    print(format_table(COLUMNS, rows))
    return 0 if all(not row[-1] for row in rows) else 1


async def _predict_all(
    args: argparse.Namespace, images: Sequence[tuple[Path, bytes]]
) -> list[tuple[Answer, int] | str]:
    """Read each image (a bad one is reported, not fatal); one Predict for all the digits."""
    readings: list[Reading | str] = []
    for _, content in images:
        try:
            readings.append(read(content))
        except ImageError as exc:  # not an image, no ink, too many pixels: say which
            readings.append(exc.message)
    good = [r for r in readings if not isinstance(r, str)]
    client = PredictClient(args.server, args.model_name, args.timeout)  # in this event loop
    try:
        digits = [image for reading in good for image in reading.images()[..., 0]]
        found = await client.answer(digits, args.version, args.label) if good else None
    finally:
        await client.close()
    if found is None:
        return [r for r in readings if isinstance(r, str)]
    probabilities, scores, calibration, version = found
    judged = iter(judge_all(good, probabilities, scores, calibration))
    return [r if isinstance(r, str) else (next(judged), version) for r in readings]


class PredictClient:
    """One channel, `Predict` with a deadline, gRPC errors turned into ModelServerError."""

    def __init__(self, server: str, model_name: str, timeout: float = 10.0) -> None:
        self._server = server
        self._model_name = model_name
        self._timeout = timeout
        self._channel = grpc.aio.insecure_channel(server)
        self._stub = PredictionServiceStub(self._channel)

    def build_request(
        self,
        pixels: Sequence[np.ndarray],
        version: int | None = None,
        label: str | None = None,
        outputs: Sequence[str] = (PROBABILITIES,),
    ) -> predict_pb2.PredictRequest:
        """A PredictRequest for float32 [28, 28] images in 0..1 (the preprocessed uploads),
        asking for `outputs` (none named: every output of the signature)."""
        batch = np.stack(pixels).astype(np.float32).reshape(IMAGE_SHAPE)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = self._model_name
        request.model_spec.signature_name = SERVING_DEFAULT
        if version is not None:
            request.model_spec.version.value = version
        elif label:
            request.model_spec.version_label = label
        request.inputs[INPUT_NAME].CopyFrom(make_tensor_proto(batch))
        request.output_filter.extend(outputs)
        return request

    async def predict(self, request: predict_pb2.PredictRequest) -> predict_pb2.PredictResponse:
        try:
            return await self._stub.Predict(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                raise ModelServerUnavailable(self._describe(exc)) from exc
            raise ModelServerError(self._describe(exc)) from exc

    async def answer(
        self, pixels: Sequence[np.ndarray], version: int | None, label: str | None
    ) -> tuple[np.ndarray, np.ndarray | None, Calibration | None, int]:
        """Probabilities [N, 10] for N images, their digit_score [N] and the version's
        calibration (None from a version exported before them), and the version that
        answered."""
        # Every output: naming digit_score or the calibration would be an error for a version
        # exported before them.
        response = await self.predict(self.build_request(pixels, version, label, outputs=()))
        outputs = {name: make_ndarray(tensor) for name, tensor in response.outputs.items()}
        try:
            calibration = Calibration.from_outputs(outputs)
        except ValueError as exc:
            raise ModelServerError(str(exc)) from exc
        version_answered = response.model_spec.version.value
        return outputs[PROBABILITIES], outputs.get(DIGIT_SCORE), calibration, version_answered

    def _describe(self, exc: grpc.aio.AioRpcError) -> str:
        code = exc.code()
        if code == grpc.StatusCode.UNAVAILABLE:
            return (
                f"cannot reach the model server at {self._server} ({exc.details()}); "
                "is it running? `make demo` starts it"
            )
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return f"no answer from {self._server} within {self._timeout:g} s"
        return f"model server answered {code.name}: {exc.details()}"

    async def close(self) -> None:
        await self._channel.close()
