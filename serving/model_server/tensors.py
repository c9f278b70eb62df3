"""TensorProto <-> numpy for the model server, with TF Serving's encodings.

Numeric dtypes are those of the project's one table, `serving.tfs_api.dtypes`; strings
(DT_STRING, e.g. serialized tf.Examples) are numpy object arrays of bytes. Answers use the
typed value fields (`float_val`, ...) as TF Serving does by default, or `tensor_content`
(--enable_serialization_as_tensor_content). A request's tensors are sized from their shapes
before any is decoded: a few bytes of shape must not make the server allocate gigabytes.
"""

from collections.abc import Mapping

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.framework.tensor_pb2 import TensorProto
from tensorflow.core.framework.types_pb2 import DT_STRING

from serving.model_server.errors import ServingError, invalid_argument
from serving.model_server.limits import MAX_REQUEST_TENSOR_BYTES
from serving.tfs_api import dtypes

dtype_name = dtypes.name
numpy_dtype = dtypes.numpy_dtype


def dtype_of(array: np.ndarray) -> int | None:
    """The TensorFlow DataType of `array`, or None for a dtype outside the table."""
    if array.dtype.kind in "OSU":
        return DT_STRING
    return dtypes.data_type_of(array.dtype)


def _shape(proto: TensorProto, alias: str) -> tuple[int, ...]:
    shape = tuple(dim.size for dim in proto.tensor_shape.dim)
    if any(size < 0 for size in shape):
        raise invalid_argument(f"tensor parsing error: {alias}: negative dimension in {shape}")
    return shape


def decoded_bytes(proto: TensorProto, alias: str) -> int:
    """What decoding `proto` would allocate, from its shape and dtype alone."""
    count = int(np.prod(_shape(proto, alias), dtype=object))
    if proto.dtype == DT_STRING:
        return count * 8 + sum(len(v) for v in proto.string_val)  # a pointer per element
    dtype = numpy_dtype(proto.dtype)
    return count * (dtype.itemsize if dtype is not None else 16)


def decode_inputs(
    protos: Mapping[str, TensorProto], limit: int = MAX_REQUEST_TENSOR_BYTES
) -> dict[str, np.ndarray]:
    """A request's tensors; RESOURCE_EXHAUSTED, before allocating, when they are too big."""
    total = sum(decoded_bytes(proto, alias) for alias, proto in protos.items())
    if total > limit:
        raise ServingError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"the request's tensors would take {total} bytes, more than the limit of {limit}",
        )
    return {alias: to_ndarray(proto, alias) for alias, proto in protos.items()}


def to_ndarray(proto: TensorProto, alias: str) -> np.ndarray:
    """Decodes a request tensor; a malformed one is INVALID_ARGUMENT naming the input."""
    shape = _shape(proto, alias)
    try:
        if proto.dtype == DT_STRING:
            return _fill(np.array(list(proto.string_val), dtype=object), shape)
        entry = dtypes.DTYPES.get(proto.dtype)
        if entry is None:
            return np.asarray(tf.make_ndarray(proto))
        dtype, field = entry
        if proto.tensor_content:
            return np.frombuffer(proto.tensor_content, dtype=dtype).reshape(shape)
        return _fill(np.asarray(getattr(proto, field), dtype=dtype), shape)
    except (ValueError, TypeError) as exc:
        raise invalid_argument(f"tensor parsing error: {alias}: {exc}") from exc


def _fill(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Typed values in `shape`; one value fills the tensor (TensorFlow's convention)."""
    size = int(np.prod(shape, dtype=np.int64))
    if values.size == 1 and size > 1:
        return np.full(shape, values[0], dtype=values.dtype)
    if values.size != size:
        raise ValueError(f"{values.size} values cannot fill shape {list(shape)}")
    return values.reshape(shape)


def fill_proto(proto: TensorProto, array: np.ndarray, tensor_content: bool = False) -> None:
    """Writes `array` into an empty TensorProto (e.g. a response's output map entry)."""
    dtype = dtype_of(array)
    if dtype is None:
        proto.CopyFrom(tf.make_tensor_proto(array))
        return
    proto.dtype = dtype
    dims = proto.tensor_shape.dim
    for size in array.shape:
        dims.add().size = size
    if dtype == DT_STRING:
        proto.string_val.extend(_as_bytes(v) for v in array.ravel())
    elif tensor_content:
        proto.tensor_content = array.tobytes()  # tobytes copies in C order, contiguous or not
    else:
        getattr(proto, dtypes.DTYPES[dtype][1]).extend(array.ravel().tolist())


def _as_bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()
