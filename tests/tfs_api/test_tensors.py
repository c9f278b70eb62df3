"""numpy arrays to and from TensorProto without TensorFlow (serving/tfs_api/tensors.py)."""

from __future__ import annotations

import numpy as np
import pytest

from serving.tfs_api import tensors


def test_tensor_with_wrong_size_is_refused() -> None:
    proto = tensors.make_tensor_proto(np.zeros((2, 3), np.float32))
    proto.tensor_shape.dim[0].size = 5
    with pytest.raises(tensors.TensorConversionError, match="needs 15"):
        tensors.make_ndarray(proto)
