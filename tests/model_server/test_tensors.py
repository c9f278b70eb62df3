"""TensorProto <-> numpy through the one dtype table, in process."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, types_pb2

from serving.model_server.errors import ServingError
from serving.model_server.tensors import decode_inputs, dtype_of, fill_proto, to_ndarray
from serving.tfs_api.dtypes import DTYPES


@pytest.mark.parametrize("tensor_content", [False, True])
@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_every_tabled_dtype_round_trips(dtype: int, tensor_content: bool) -> None:
    array = np.arange(6).reshape(2, 3).astype(DTYPES[dtype][0])
    proto = tensor_pb2.TensorProto()
    fill_proto(proto, array, tensor_content)
    assert proto.dtype == dtype
    # Typed values by default, as TF Serving answers; bytes only when asked for.
    assert bool(proto.tensor_content) == tensor_content
    assert len(getattr(proto, DTYPES[dtype][1])) == (0 if tensor_content else 6)
    decoded = to_ndarray(proto, "x")
    assert decoded.dtype == array.dtype
    np.testing.assert_array_equal(decoded, array)
    # TensorFlow reads what we write, and the table agrees with its own mapping.
    np.testing.assert_array_equal(tf.make_ndarray(proto), array)
    assert tf.as_dtype(dtype).as_numpy_dtype == DTYPES[dtype][0].type


def test_strings_travel_in_string_val() -> None:
    array = np.array([b"a", b"bc"], dtype=object)
    assert dtype_of(array) == types_pb2.DT_STRING
    proto = tensor_pb2.TensorProto()
    fill_proto(proto, array)
    assert proto.dtype == types_pb2.DT_STRING and list(proto.string_val) == [b"a", b"bc"]
    np.testing.assert_array_equal(to_ndarray(proto, "x"), array)


def test_one_value_fills_the_shape_as_in_tensorflow() -> None:
    proto = tf.make_tensor_proto(7.0, dtype=tf.float32, shape=[2, 2])
    assert not proto.tensor_content and len(proto.float_val) == 1
    np.testing.assert_array_equal(to_ndarray(proto, "x"), np.full((2, 2), 7.0))


def test_a_malformed_tensor_is_invalid_argument_naming_the_input() -> None:
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=b"\0" * 7)
    proto.tensor_shape.dim.add().size = 2
    with pytest.raises(ServingError, match="tensor parsing error: images") as caught:
        to_ndarray(proto, "images")
    assert caught.value.code_name == "INVALID_ARGUMENT"


def test_a_tiny_message_cannot_ask_for_a_huge_tensor() -> None:
    # One float and a shape of 150 million: 600 MB if decoded, refused before that.
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0])
    proto.tensor_shape.dim.add().size = 150_000_000
    assert len(proto.SerializeToString()) < 70
    with pytest.raises(ServingError, match="more than the limit") as caught:
        decode_inputs({"x": proto})
    assert caught.value.code_name == "RESOURCE_EXHAUSTED"
    small = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0])
    small.tensor_shape.dim.add().size = 4
    np.testing.assert_array_equal(decode_inputs({"x": small}, limit=16)["x"], np.ones(4))
