"""numpy arrays to and from TensorProto without TensorFlow (serving/tfs_api/tensors.py)."""

from __future__ import annotations

import numpy as np
import pytest

from serving.tfs_api import dtypes, tensor_pb2, tensors, types_pb2


def test_tensor_with_wrong_size_is_refused() -> None:
    proto = tensors.make_tensor_proto(np.zeros((2, 3), np.float32))
    proto.tensor_shape.dim[0].size = 5
    with pytest.raises(tensors.TensorConversionError, match="needs 15"):
        tensors.make_ndarray(proto)


@pytest.mark.parametrize("data_type", sorted(dtypes.DTYPES))
def test_every_tabled_dtype_round_trips_as_content_and_as_typed_values(data_type: int) -> None:
    dtype, field = dtypes.DTYPES[data_type]
    array = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    packed = tensors.make_tensor_proto(array)
    assert packed.dtype == data_type and packed.tensor_content
    np.testing.assert_array_equal(tensors.make_ndarray(packed), array)
    typed = tensor_pb2.TensorProto(dtype=packed.dtype, tensor_shape=packed.tensor_shape)
    getattr(typed, field).extend(array.ravel().tolist())  # as TF Serving answers by default
    np.testing.assert_array_equal(tensors.make_ndarray(typed), array)


def test_a_dtype_outside_the_table_is_named_in_the_error() -> None:
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING)
    with pytest.raises(tensors.TensorConversionError, match="DT_STRING"):
        tensors.make_ndarray(proto)
