"""REST's JSON formats in process: `instances` (rows) and `inputs` (columns), both ways."""

from typing import Any

import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving.model_server.data_plane import Prediction
from serving.model_server.errors import ServingError
from serving.model_server.rest_api import format_predictions, parse_predict_body
from serving.model_server.servable import TensorSpec

IMAGES = {"images": TensorSpec(types_pb2.DT_FLOAT, (-1, 2))}
TWO_INPUTS = {**IMAGES, "keep": TensorSpec(types_pb2.DT_BOOL, (-1,))}


@pytest.mark.parametrize(
    ("body", "specs", "row_format"),
    [
        ({"instances": [[1, 2], [3, 4]]}, IMAGES, True),
        ({"instances": [{"images": [1, 2]}, {"images": [3, 4]}]}, IMAGES, True),
        ({"inputs": [[1, 2], [3, 4]]}, IMAGES, False),
        ({"inputs": {"images": [[1, 2], [3, 4]]}}, IMAGES, False),
    ],
)
def test_both_request_formats_give_the_same_arrays(
    body: dict[str, Any], specs: dict[str, TensorSpec], row_format: bool
) -> None:
    arrays, rows = parse_predict_body(body, specs)
    assert rows is row_format
    assert arrays["images"].dtype == np.float32  # typed by the signature, not by JSON
    assert arrays["images"].tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize(
    ("body", "specs", "message"),
    [
        ({}, IMAGES, "Missing 'inputs' or 'instances' key"),
        ({"inputs": 1, "instances": 1}, IMAGES, "only one of 'inputs' or 'instances'"),
        ({"instances": {"images": 1}}, IMAGES, "'instances' must be a JSON list"),
        ({"instances": [[1, 2]]}, TWO_INPUTS, "instances must be objects naming each input"),
        ({"inputs": {"pixels": [1]}}, IMAGES, "input tensor alias not found in signature"),
        ({"inputs": [[1], [2, 3]]}, IMAGES, "expects a (nested) list of numbers"),
        (
            {"inputs": [["a"]]},
            {"images": TensorSpec(types_pb2.DT_STRING, None)},
            "dtype DT_STRING not supported",
        ),
    ],
)
def test_malformed_bodies_are_invalid_argument(
    body: dict[str, Any], specs: dict[str, TensorSpec], message: str
) -> None:
    with pytest.raises(ServingError) as caught:
        parse_predict_body(body, specs)
    assert caught.value.http_status == 400
    assert message in caught.value.message


def _prediction(**outputs: list[Any]) -> Prediction:
    arrays = {alias: np.array(values) for alias, values in outputs.items()}
    return Prediction("mnist", 1, "serving_default", arrays)


@pytest.mark.parametrize(
    ("outputs", "row_format", "expected"),
    [
        ({"classes": [3, 7]}, True, {"predictions": [3, 7]}),
        ({"classes": [3, 7]}, False, {"outputs": [3, 7]}),
        (
            {"classes": [3, 7], "scores": [0.5, 0.9]},
            True,
            {"predictions": [{"classes": 3, "scores": 0.5}, {"classes": 7, "scores": 0.9}]},
        ),
        (
            {"classes": [3, 7], "scores": [0.5, 0.9]},
            False,
            {"outputs": {"classes": [3, 7], "scores": [0.5, 0.9]}},
        ),
    ],
)
def test_answers_follow_the_request_format(
    outputs: dict[str, list[Any]], row_format: bool, expected: dict[str, Any]
) -> None:
    assert format_predictions(_prediction(**outputs), row_format) == expected
