"""TensorProto <-> numpy through the one dtype table, in process."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2

from serving.model_server.errors import ServingError
from serving.model_server.tensors import dtype_of, fill_proto, to_ndarray
from serving.tfs_api.dtypes import DTYPES


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_every_tabled_dtype_round_trips_through_tensor_content(dtype: int) -> None:
    array = np.arange(6).reshape(2, 3).astype(DTYPES[dtype][0])
    proto = tensor_pb2.TensorProto()
    fill_proto(proto, array)
    assert proto.dtype == dtype and proto.tensor_content
    decoded = to_ndarray(proto, "x")
    assert decoded.dtype == array.dtype
    np.testing.assert_array_equal(decoded, array)
    # The table agrees with TensorFlow's own mapping.
    assert tf.as_dtype(dtype).as_numpy_dtype == DTYPES[dtype][0].type


def test_dtypes_outside_the_table_go_through_tensorflow() -> None:
    array = np.array([b"a", b"bc"])
    assert dtype_of(array) is None
    proto = tensor_pb2.TensorProto()
    fill_proto(proto, array)
    assert proto.dtype == types_pb2.DT_STRING
    np.testing.assert_array_equal(to_ndarray(proto, "x"), array)


def test_value_fields_decode_as_tensorflow_does() -> None:
    proto = tf.make_tensor_proto([[1.0, 2.0]], dtype=tf.float32)
    proto.ClearField("tensor_content")
    proto.float_val.extend([1.0, 2.0])
    np.testing.assert_array_equal(to_ndarray(proto, "x"), [[1.0, 2.0]])


def test_a_malformed_tensor_is_invalid_argument_naming_the_input() -> None:
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=b"\0" * 7)
    proto.tensor_shape.dim.add().size = 2
    with pytest.raises(ServingError, match="tensor parsing error: images") as caught:
        to_ndarray(proto, "images")
    assert caught.value.code_name == "INVALID_ARGUMENT"
