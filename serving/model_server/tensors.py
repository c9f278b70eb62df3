"""TensorProto <-> numpy, fast for the dense numeric tensors a model server moves.

`NUMPY_BY_DTYPE` is the server's one table of the dtypes it serves: their bytes go straight
into `tensor_content`, REST's JSON values are typed with it, and inputs are checked with it.
"""

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.core.framework.tensor_pb2 import TensorProto

from serving.model_server.errors import invalid_argument

NUMPY_BY_DTYPE: dict[int, np.dtype] = {
    types_pb2.DT_FLOAT: np.dtype(np.float32),
    types_pb2.DT_DOUBLE: np.dtype(np.float64),
    types_pb2.DT_INT32: np.dtype(np.int32),
    types_pb2.DT_INT64: np.dtype(np.int64),
    types_pb2.DT_UINT8: np.dtype(np.uint8),
    types_pb2.DT_INT8: np.dtype(np.int8),
    types_pb2.DT_INT16: np.dtype(np.int16),
    types_pb2.DT_BOOL: np.dtype(np.bool_),
}
_DTYPE_BY_NUMPY = {value: key for key, value in NUMPY_BY_DTYPE.items()}


def dtype_name(dtype: int) -> str:
    return str(types_pb2.DataType.Name(dtype))


def dtype_of(array: np.ndarray) -> int | None:
    """The TensorFlow DataType of `array`, or None for a dtype outside the table."""
    return _DTYPE_BY_NUMPY.get(array.dtype)


def to_ndarray(proto: TensorProto, alias: str) -> np.ndarray:
    """Decodes a request tensor; a malformed one is INVALID_ARGUMENT naming the input."""
    shape = tuple(dim.size for dim in proto.tensor_shape.dim)
    dtype = NUMPY_BY_DTYPE.get(proto.dtype)
    try:
        if proto.tensor_content and dtype is not None:
            return np.frombuffer(proto.tensor_content, dtype=dtype).reshape(shape)
        return np.asarray(tf.make_ndarray(proto))
    except (ValueError, TypeError) as exc:
        raise invalid_argument(f"tensor parsing error: {alias}: {exc}") from exc


def fill_proto(proto: TensorProto, array: np.ndarray) -> None:
    """Writes `array` into an empty TensorProto (e.g. a response's output map entry)."""
    dtype = dtype_of(array)
    if dtype is None:
        proto.CopyFrom(tf.make_tensor_proto(array))
        return
    proto.dtype = dtype
    dims = proto.tensor_shape.dim
    for size in array.shape:
        dims.add().size = size
    proto.tensor_content = array.tobytes()  # tobytes copies in C order, contiguous or not
