"""numpy arrays to and from TensorProto, for the dtypes the MNIST signatures use."""

from __future__ import annotations

from typing import cast

import numpy as np

from serving.tfs_api import (
    dtypes,
    get_model_metadata_pb2,
    meta_graph_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)

SIGNATURE_DEF_TYPE_URL = "type.googleapis.com/tensorflow.serving.SignatureDefMap"


class TensorConversionError(ValueError):
    """A TensorProto whose dtype or size we cannot turn into an array."""


def make_tensor_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    """Pack an array as tensor_content: one bytes copy, no per-element fields."""
    dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    data_type = dtypes.data_type_of(np.dtype(dtype))
    if data_type is None:
        raise TensorConversionError(f"unsupported dtype {array.dtype} for a TensorProto")
    proto = tensor_pb2.TensorProto(dtype=cast("types_pb2.DataType", data_type))
    proto.tensor_shape.dim.extend(
        tensor_shape_pb2.TensorShapeProto.Dim(size=n) for n in array.shape
    )
    proto.tensor_content = np.ascontiguousarray(array, dtype=dtype).tobytes()
    return proto


def make_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """Unpack a TensorProto from tensor_content or its typed values field."""
    if proto.dtype not in dtypes.DTYPES:
        raise TensorConversionError(f"unsupported tensor dtype {dtypes.name(proto.dtype)}")
    dtype, field = dtypes.DTYPES[proto.dtype]
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
