"""TF Serving's REST request JSON, read as its util/json_tensor.cc reads it.

JSON values become TensorProtos typed by the signature (a string is not a float, a float is
not an int, `{"b64": ...}` is bytes), so that REST and gRPC share one decoding path and its
size limit. Nesting and number literals are bounded, so no body makes the parser recurse or
convert without end. NaN and Infinity are read, as TF Serving reads them.
"""

import base64
import binascii
import json
from typing import Any

import grpc
from tensorflow.core.framework.tensor_pb2 import TensorProto
from tensorflow.core.framework.types_pb2 import (
    DT_BOOL,
    DT_DOUBLE,
    DT_FLOAT,
    DT_INT8,
    DT_INT16,
    DT_INT32,
    DT_INT64,
    DT_STRING,
    DT_UINT8,
)

from serving.model_server.errors import ServingError, invalid_argument
from serving.model_server.tensors import dtype_name

MAX_DEPTH = 64  # nesting a tensor never needs; deeper JSON is refused, not recursed into
MAX_NUMBER_DIGITS = 400  # longer number literals are refused before Python converts them
B64 = "b64"
JSON_DTYPES = {DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT16, DT_INT8, DT_UINT8, DT_INT64, DT_BOOL}
JSON_DTYPES.add(DT_STRING)
VALUE_FIELDS = ("float_val", "double_val", "int_val", "int64_val", "bool_val", "string_val")
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def _number(text: str) -> float | int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise invalid_argument(f"JSON Parse error: Number too big to be stored ({len(text)} chars)")
    return int(text) if text.lstrip("-").isdigit() else float(text)


# Python's parse errors in rapidjson's words (GetParseError_En), as TF Serving reports them.
_RAPIDJSON_WORDS = {
    "Expecting value": "Invalid value.",
    "Expecting property name enclosed in double quotes": "Missing a name for object member.",
    "Expecting ':' delimiter": "Missing a colon after a name of object member.",
    "Expecting ',' delimiter": "Missing a comma or ']' after an array element.",
    "Unterminated string starting at": "Missing a closing quotation mark in string.",
}


def parse_json(raw: bytes) -> dict[str, Any]:
    """The request body as an object, or INVALID_ARGUMENT in TF Serving's words. As there,
    parsing stops at the end of the first value (rapidjson's kParseStopWhenDoneFlag)."""
    if not raw:
        raise invalid_argument("JSON Parse error: The document is empty")
    try:
        text = raw.decode("utf-8")
        start = len(text) - len(text.lstrip())
        decoder = json.JSONDecoder(parse_int=_number, parse_float=_number)
        doc, _ = decoder.raw_decode(text, start)
    except UnicodeDecodeError as exc:
        raise invalid_argument(f"JSON Parse error: Invalid encoding in string. {exc}") from exc
    except json.JSONDecodeError as exc:
        words = _RAPIDJSON_WORDS.get(exc.msg, exc.msg)
        if start == len(text):
            words = "The document is empty."
        raise invalid_argument(f"JSON Parse error: {words} at offset: {exc.pos}") from exc
    except RecursionError as exc:
        raise invalid_argument("JSON Parse error: nesting too deep") from exc
    if not isinstance(doc, dict):
        raise invalid_argument(f"JSON Value: {debug_string(doc)} Is not object")
    return doc


def debug_string(value: Any) -> str:
    """A value in an error message, cut as TF Serving cuts it (256 bytes)."""
    return json.dumps(value, separators=(", ", ": "))[:256]


def is_b64(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(B64), str)


def b64_bytes(value: Any) -> bytes:
    if not is_b64(value):
        raise invalid_argument(
            f"JSON Value: {debug_string(value)} not formatted correctly for base64 data"
        )
    try:
        return base64.b64decode(value[B64], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid_argument("Unable to base64 decode") from exc


def _type_error(value: Any, dtype: int) -> Exception:
    kind = json_type(value)
    return invalid_argument(
        f"JSON Value: {debug_string(value)} Type: {kind} is not of expected type: "
        f"{dtype_name(dtype).removeprefix('DT_').lower()}"
    )


def json_type(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int | float):
        return "Number"
    if isinstance(value, str):
        return "String"
    return "Array" if isinstance(value, list) else "Object"


def is_int(value: Any, bounds: tuple[int, int]) -> bool:
    return type(value) is int and bounds[0] <= value <= bounds[1]


def _add_value(tensor: TensorProto, value: Any, dtype: int) -> None:
    """One JSON scalar into the tensor's typed field, if it has the signature's type."""
    if dtype not in JSON_DTYPES:
        raise ServingError(
            grpc.StatusCode.UNIMPLEMENTED,
            f"Conversion of JSON Value: {debug_string(value)} to type: {dtype_name(dtype)}",
        )
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if dtype in (DT_FLOAT, DT_DOUBLE) and is_number:
        field = tensor.float_val if dtype == DT_FLOAT else tensor.double_val
        field.append(float(value))
    elif dtype in (DT_INT32, DT_INT16, DT_INT8, DT_UINT8) and is_int(value, INT32):
        tensor.int_val.append(value)
    elif dtype == DT_INT64 and is_int(value, INT64):
        tensor.int64_val.append(value)
    elif dtype == DT_BOOL and isinstance(value, bool):
        tensor.bool_val.append(value)
    elif dtype == DT_STRING and isinstance(value, str):
        tensor.string_val.append(value.encode("utf-8"))
    elif dtype == DT_STRING and isinstance(value, dict):
        tensor.string_val.append(b64_bytes(value))
    else:
        raise _type_error(value, dtype)


def dense_shape(value: Any) -> list[int]:
    """The shape a nested list declares by its first elements (TF Serving's rule)."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if len(shape) > MAX_DEPTH:
            raise invalid_argument(f"JSON list nested deeper than {MAX_DEPTH} levels")
        value = value[0] if value else None
    return shape


def fill_tensor(tensor: TensorProto, value: Any, level: int, dtype: int) -> int:
    """Adds `value` at `level` of the tensor's shape; returns the scalars added."""
    rank = len(tensor.tensor_shape.dim)
    if not isinstance(value, list):
        if level != rank:
            raise invalid_argument(
                f"JSON Value: {debug_string(value)} found at incorrect level: {level + 1} "
                f"in the JSON DOM. Expected at level: {rank}"
            )
        if isinstance(value, dict) and dtype != DT_STRING:
            raise _type_error(value, dtype)
        _add_value(tensor, value, dtype)
        return 1
    if level >= rank:
        raise invalid_argument(f"Encountered list at unexpected level: {level} expected < {rank}")
    expected = tensor.tensor_shape.dim[level].size
    if len(value) != expected:
        raise invalid_argument(
            f"Encountered list at unexpected size: {len(value)} at level: {level} "
            f"expected size: {expected}"
        )
    return sum(fill_tensor(tensor, item, level + 1, dtype) for item in value)


def make_tensor(value: Any, dtype: int) -> TensorProto:
    tensor = TensorProto(dtype=dtype)
    for size in dense_shape(value):
        tensor.tensor_shape.dim.add().size = size
    fill_tensor(tensor, value, 0, dtype)
    return tensor


def _instance_item(value: Any, name: str, dtype: int, seen: dict[str, list[int]]) -> TensorProto:
    """One instance's value for input `name`; its shape must match the other instances'."""
    tensor = make_tensor(value, dtype)
    shape = [dim.size for dim in tensor.tensor_shape.dim]
    if name in seen and seen[name] != shape:
        raise invalid_argument(
            f"Expecting shape [{','.join(map(str, seen[name]))}] but got: "
            f"[{','.join(map(str, shape))}]"
        )
    seen[name] = shape
    return tensor


def _stack(parts: list[TensorProto], dtype: int, shape: list[int]) -> TensorProto:
    """The instances' tensors as one, with the instance count as its 0th dimension."""
    whole = TensorProto(dtype=dtype)
    for size in [len(parts), *shape]:
        whole.tensor_shape.dim.add().size = size
    for field in VALUE_FIELDS:
        values = getattr(whole, field)
        for part in parts:
            values.extend(getattr(part, field))
    return whole


def _is_object(value: Any) -> bool:
    return isinstance(value, dict) and not is_b64(value)


def instances_tensors(rows: Any, dtypes: dict[str, int]) -> dict[str, TensorProto]:
    """FillTensorMapFromInstancesList: the row format."""
    if not isinstance(rows, list):
        raise invalid_argument("Expecting 'instances' to be an list/array")
    if not rows:
        raise invalid_argument("No values in 'instances' array")
    objects = _is_object(rows[0])
    if not objects and len(dtypes) > 1:
        raise invalid_argument(
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map"
        )
    parts: dict[str, list[TensorProto]] = {name: [] for name in dtypes}
    seen: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        named = _row_items(row, index, objects, dtypes)
        for name, value in named.items():
            try:
                parts[name].append(_instance_item(value, name, dtypes[name], seen))
            except ServingError as exc:
                where = f"{index} key: {name}" if objects else f"{index}"
                raise invalid_argument(
                    f"Failed to process element: {where} of 'instances' list. "
                    f"Error: {exc.code_name}: {exc.message}"
                ) from exc
    return {name: _stack(parts[name], dtypes[name], seen[name]) for name in dtypes}


def _row_items(row: Any, index: int, objects: bool, dtypes: dict[str, int]) -> dict[str, Any]:
    if not objects:
        if _is_object(row):
            raise invalid_argument(
                f"Expecting value/list but got object at item {index} of input list"
            )
        return {next(iter(dtypes)): row}
    if not _is_object(row):
        raise invalid_argument(f"Expecting object but got list at item {index} of input list")
    unknown = [name for name in row if name not in dtypes]
    if unknown:
        raise invalid_argument(
            f"Failed to process element: {index} key: {unknown[0]} of 'instances' list. "
            f"Error: INVALID_ARGUMENT: JSON object: does not have named input: {unknown[0]}"
        )
    if set(row) != set(dtypes):
        raise invalid_argument(
            f"Failed to process element: {index} of 'instances' list. JSON object: "
            f"{debug_string(row)} keys must be equal to: {','.join(sorted(dtypes))}"
        )
    return dict(row)


def inputs_tensors(value: Any, dtypes: dict[str, int]) -> dict[str, TensorProto]:
    """FillTensorMapFromInputsMap: the columnar format."""
    if not _is_object(value):
        if len(dtypes) > 1:
            raise invalid_argument(
                "inputs is a plain value/list, but expecting an object as multiple input "
                "tensors required as per tensorinfo_map"
            )
        name = next(iter(dtypes))
        return {name: make_tensor(value, dtypes[name])}
    tensors = {}
    for name, dtype in dtypes.items():
        if name not in value:
            raise invalid_argument(f"Missing named input: {name} in 'inputs' object.")
        tensors[name] = make_tensor(value[name], dtype)
    return tensors


def predict_tensors(
    body: dict[str, Any], dtypes: dict[str, int]
) -> tuple[dict[str, TensorProto], bool]:
    """The request's tensors, and True for the row (`instances`) format."""
    if "instances" in body and "inputs" in body:
        raise invalid_argument(
            f"JSON Value: {debug_string(body)} Not formatted correctly expecting only one of "
            "'inputs' or 'instances' keys to exist "
        )
    if "instances" in body:
        return instances_tensors(body["instances"], dtypes), True
    if "inputs" in body:
        return inputs_tensors(body["inputs"], dtypes), False
    raise invalid_argument("Missing 'inputs' or 'instances' key")


def signature_name(body: dict[str, Any]) -> str:
    name = body.get("signature_name", "")
    if not isinstance(name, str):
        raise invalid_argument(
            f"JSON Value: {debug_string(body)} not formatted correctly. "
            "'signature_name' key must be a string value."
        )
    return name
