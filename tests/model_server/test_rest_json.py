"""REST request JSON in process: both formats, typing by the signature, TF Serving's errors,
and the bounds on nesting and number literals."""

from typing import Any

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving.model_server.errors import ServingError
from serving.model_server.rest_json import parse_json, predict_tensors
from serving.model_server.tensors import decode_inputs

FLOAT = types_pb2.DT_FLOAT
IMAGES = {"images": FLOAT}


@pytest.mark.parametrize(
    ("body", "row_format"),
    [
        ({"instances": [[1, 2], [3, 4]]}, True),
        ({"instances": [{"images": [1, 2]}, {"images": [3, 4]}]}, True),
        ({"inputs": [[1, 2], [3, 4]]}, False),
        ({"inputs": {"images": [[1, 2], [3, 4]]}}, False),
    ],
)
def test_both_request_formats_give_the_same_arrays(body: dict[str, Any], row_format: bool) -> None:
    protos, rows = predict_tensors(body, IMAGES)
    assert rows is row_format
    images = decode_inputs(protos)["images"]
    assert images.dtype == np.float32  # typed by the signature, not by JSON
    assert images.tolist() == [[1, 2], [3, 4]]


def test_strings_and_b64_become_bytes() -> None:
    protos, _ = predict_tensors({"inputs": ["a", {"b64": "AAE="}]}, {"s": types_pb2.DT_STRING})
    assert decode_inputs(protos)["s"].tolist() == [b"a", b"\x00\x01"]


@pytest.mark.parametrize(
    ("body", "dtypes", "message"),
    [
        ({}, IMAGES, "Missing 'inputs' or 'instances' key"),
        ({"inputs": 1, "instances": 1}, IMAGES, "only one of 'inputs' or 'instances'"),
        ({"instances": {"images": 1}}, IMAGES, "Expecting 'instances' to be an list/array"),
        ({"instances": []}, IMAGES, "No values in 'instances' array"),
        ({"instances": [[1, 2]]}, {**IMAGES, "keep": types_pb2.DT_BOOL}, "plain list"),
        ({"inputs": {"pixels": [1]}}, IMAGES, "Missing named input: images in 'inputs' object."),
        ({"inputs": [[1], [2, 3]]}, IMAGES, "Encountered list at unexpected size: 2"),
        ({"inputs": ["1.5"]}, IMAGES, 'JSON Value: "1.5" Type: String is not of expected type'),
        ({"inputs": [1.5]}, {"n": types_pb2.DT_INT64}, "is not of expected type: int64"),
        ({"inputs": [True]}, IMAGES, "Type: Bool is not of expected type: float"),
        ({"instances": [[1, 2], [3]]}, IMAGES, "Expecting shape [2] but got: [1]"),
    ],
)
def test_malformed_bodies_are_invalid_argument(
    body: dict[str, Any], dtypes: dict[str, int], message: str
) -> None:
    with pytest.raises(ServingError) as caught:
        predict_tensors(body, dtypes)
    assert caught.value.http_status == 400
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "The document is empty"),
        (b"{", "JSON Parse error: Missing a name for object member. at offset: 1"),
        (b"instances = [1, 2]", "JSON Parse error: Invalid value. at offset: 0"),
        (b"  ", "JSON Parse error: The document is empty."),
        (b"\xff", "JSON Parse error"),
        (b"[1]", "Is not object"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "JSON Parse error"),
        (b'{"a": ' + b"1" * 10_000 + b"}", "Number too big"),
    ],
)
def test_unparsable_or_hostile_json_is_a_400(raw: bytes, message: str) -> None:
    with pytest.raises(ServingError) as caught:
        parse_json(raw)
    assert caught.value.http_status == 400 and message in caught.value.message


def test_parsing_stops_after_the_first_value_as_in_tf_serving() -> None:
    assert parse_json(b' {"inputs": [1]} trailing') == {"inputs": [1]}


def test_nan_and_infinity_are_read() -> None:
    body = parse_json(b'{"inputs": [NaN, Infinity, -Infinity]}')
    values = decode_inputs(predict_tensors(body, {"x": FLOAT})[0])["x"]
    assert np.isnan(values[0]) and values[1] == np.inf and values[2] == -np.inf
