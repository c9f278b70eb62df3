"""TensorFlow's DataType numbers, with the numpy dtype and the TensorProto value field of each.

The one dtype table of the project: TensorFlow's own messages (the model server) and the
TF-free ones here (the gateway, the clients, the benchmarks) number the DataType enum alike.
"""

from __future__ import annotations

import numpy as np

from serving.tfs_api import types_pb2

# DataType -> (numpy dtype as sent on the wire, little-endian; the typed values field a
# TensorProto uses instead of tensor_content).
DTYPES: dict[int, tuple[np.dtype, str]] = {
    types_pb2.DT_FLOAT: (np.dtype("<f4"), "float_val"),
    types_pb2.DT_DOUBLE: (np.dtype("<f8"), "double_val"),
    types_pb2.DT_INT32: (np.dtype("<i4"), "int_val"),
    types_pb2.DT_INT64: (np.dtype("<i8"), "int64_val"),
    types_pb2.DT_UINT8: (np.dtype("u1"), "int_val"),
    types_pb2.DT_INT8: (np.dtype("i1"), "int_val"),
    types_pb2.DT_INT16: (np.dtype("<i2"), "int_val"),
    types_pb2.DT_BOOL: (np.dtype("?"), "bool_val"),
}
_DATA_TYPES = {dtype: data_type for data_type, (dtype, _) in DTYPES.items()}


def numpy_dtype(data_type: int) -> np.dtype | None:
    """The numpy dtype of a DataType, or None for one outside the table."""
    entry = DTYPES.get(data_type)
    return entry[0] if entry else None


def data_type_of(dtype: np.dtype) -> int | None:
    """The DataType of a numpy dtype, or None for one outside the table."""
    return _DATA_TYPES.get(dtype)


def name(data_type: int) -> str:
    """`DT_FLOAT` and the like; the number itself for one the enum does not know."""
    known = data_type in types_pb2.DataType.values()
    return types_pb2.DataType.Name(data_type) if known else str(data_type)
