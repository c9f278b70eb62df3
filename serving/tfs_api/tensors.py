"""numpy arrays to and from TensorProto, for the dtypes the MNIST signatures use."""

from __future__ import annotations

import numpy as np

from serving.tfs_api import (
    get_model_metadata_pb2,
    meta_graph_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)

# dtype <-> DataType, and the typed repeated field a server may answer with instead of
# tensor_content.
_DTYPES: dict[types_pb2.DataType, tuple[np.dtype, str]] = {
    types_pb2.DT_FLOAT: (np.dtype("<f4"), "float_val"),
    types_pb2.DT_DOUBLE: (np.dtype("<f8"), "double_val"),
    types_pb2.DT_INT32: (np.dtype("<i4"), "int_val"),
    types_pb2.DT_INT64: (np.dtype("<i8"), "int64_val"),
    types_pb2.DT_UINT8: (np.dtype("u1"), "int_val"),
}
_DATA_TYPES = {dtype: data_type for data_type, (dtype, _) in _DTYPES.items()}

SIGNATURE_DEF_TYPE_URL = "type.googleapis.com/tensorflow.serving.SignatureDefMap"


class TensorConversionError(ValueError):
    """A TensorProto whose dtype or size we cannot turn into an array."""


def make_tensor_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    """Pack an array as tensor_content: one bytes copy, no per-element fields."""
    dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    data_type = _DATA_TYPES.get(np.dtype(dtype))
    if data_type is None:
        raise TensorConversionError(f"unsupported dtype {array.dtype} for a TensorProto")
    proto = tensor_pb2.TensorProto(dtype=data_type)
    proto.tensor_shape.dim.extend(
        tensor_shape_pb2.TensorShapeProto.Dim(size=n) for n in array.shape
    )
    proto.tensor_content = np.ascontiguousarray(array, dtype=dtype).tobytes()
    return proto


def make_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """Unpack a TensorProto from tensor_content or its typed values field."""
    if proto.dtype not in _DTYPES:
        known = proto.dtype in types_pb2.DataType.values()
        name = types_pb2.DataType.Name(proto.dtype) if known else str(proto.dtype)
        raise TensorConversionError(f"unsupported tensor dtype {name}")
    dtype, field = _DTYPES[proto.dtype]
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    size = int(np.prod(shape, dtype=np.int64))
    if proto.tensor_content:
        values = np.frombuffer(proto.tensor_content, dtype=dtype)
    else:
        values = np.asarray(getattr(proto, field), dtype=dtype)
        if values.size == 1 and size > 1:  # TF's convention: one value fills the tensor
            values = np.full(size, values[0], dtype=dtype)
    if values.size != size:
        raise TensorConversionError(
            f"tensor holds {values.size} values, shape {shape} needs {size}"
        )
    return values.reshape(shape)


def unpack_signature_defs(
    response: get_model_metadata_pb2.GetModelMetadataResponse,
) -> dict[str, meta_graph_pb2.SignatureDef]:
    """The signatures in a GetModelMetadata answer (its Any names the upstream type)."""
    packed = response.metadata.get("signature_def")
    if packed is None:
        return {}
    if packed.type_url != SIGNATURE_DEF_TYPE_URL:
        raise TensorConversionError(f"unexpected metadata type {packed.type_url}")
    signature_map = get_model_metadata_pb2.SignatureDefMap.FromString(packed.value)
    return dict(signature_map.signature_def)
