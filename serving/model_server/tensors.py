"""TensorProto <-> numpy, fast for the dense numeric tensors a model server moves.

The dtypes it serves are those of the project's one table, `serving.tfs_api.dtypes`: their
bytes go straight into `tensor_content`, REST's JSON values are typed with it, and inputs are
checked with it.
"""

import numpy as np
import tensorflow as tf
from tensorflow.core.framework.tensor_pb2 import TensorProto

from serving.model_server.errors import invalid_argument
from serving.tfs_api import dtypes

dtype_name = dtypes.name
numpy_dtype = dtypes.numpy_dtype


def dtype_of(array: np.ndarray) -> int | None:
    """The TensorFlow DataType of `array`, or None for a dtype outside the table."""
    return dtypes.data_type_of(array.dtype)


def to_ndarray(proto: TensorProto, alias: str) -> np.ndarray:
    """Decodes a request tensor; a malformed one is INVALID_ARGUMENT naming the input."""
    shape = tuple(dim.size for dim in proto.tensor_shape.dim)
    dtype = numpy_dtype(proto.dtype)
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
