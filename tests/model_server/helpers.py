"""Client-side helpers for the model-server tests: official TF Serving stubs only."""

import re
import shutil
from pathlib import Path

import grpc
import httpx
import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import (
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from training.data import load_mnist, to_model_input

RPC_TIMEOUT = 10.0


def tensor(array: np.ndarray) -> tensor_pb2.TensorProto:
    """A float32 TensorProto in the float_val form most TF Serving clients send."""
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    proto.tensor_shape.CopyFrom(
        tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in array.shape]
        )
    )
    proto.float_val.extend(array.astype(np.float32).ravel().tolist())
    return proto


def to_array(proto: tensor_pb2.TensorProto) -> np.ndarray:
    shape = [d.size for d in proto.tensor_shape.dim]
    dtype = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_INT64: np.int64}[proto.dtype]
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=dtype).reshape(shape)
    values = proto.float_val if proto.dtype == types_pb2.DT_FLOAT else proto.int64_val
    return np.asarray(values, dtype=dtype).reshape(shape)


def predict_request(
    images: np.ndarray, signature: str = "", version: int | None = None, label: str = ""
) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "mnist"
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label:
        request.model_spec.version_label = label
    request.inputs["images"].CopyFrom(tensor(images))
    return request


Stubs = tuple[
    grpc.Channel,
    prediction_service_pb2_grpc.PredictionServiceStub,
    model_service_pb2_grpc.ModelServiceStub,
]


def stubs(target: str) -> Stubs:
    channel = grpc.insecure_channel(target)
    return (
        channel,
        prediction_service_pb2_grpc.PredictionServiceStub(channel),
        model_service_pb2_grpc.ModelServiceStub(channel),
    )


def digits(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out digits of the bundled subset: images [N,28,28,1] float 0..1 and labels."""
    split = load_mnist("subset", seed=0).validation
    return to_model_input(split.images[:count]), split.labels[:count]


def metric_values(rest_url: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels` (Prometheus text)."""
    text = httpx.get(rest_url + "/monitoring/prometheus/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(r"(\S+?)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match[3])
    return total


def copy_version(source: Path, target: Path) -> None:
    """Publishes a version the way export does: write a staging folder, then rename."""
    staging = target.parent / f".staging-{target.name}"
    shutil.copytree(source, staging)
    staging.rename(target)
