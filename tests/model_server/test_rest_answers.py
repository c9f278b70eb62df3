"""REST answers in process: the bytes TF Serving's rapidjson PrettyWriter writes."""

import json

import numpy as np
import pytest
from tensorflow_serving.apis import classification_pb2, regression_pb2

from serving.model_server import rest_answers


@pytest.mark.parametrize(
    ("value", "single", "text"),
    [
        (np.float32(2.15), True, "2.15"),  # not 2.1500000953674316
        (np.float32(3.0), True, "3.0"),
        (np.float32(1 / 3), True, "0.333333343"),  # six digits do not round-trip
        (np.float32(9_000_000), True, "9e+06"),
        (0.1, False, "0.1"),
        (float("nan"), True, "NaN"),
        (float("-inf"), False, "-Infinity"),
    ],
)
def test_floats_take_their_shortest_round_tripping_form(
    value: float, single: bool, text: str
) -> None:
    assert rest_answers.decimal(float(value), single) == text


def test_one_output_in_rows_and_columns() -> None:
    y = {"y": np.array([[1.5], [2.0]], dtype=np.float32)}
    assert rest_answers.predictions(y) == '{\n    "predictions": [[1.5], [2.0]\n    ]\n}'
    assert rest_answers.outputs_json({"y": np.array([1, 2])}) == (
        '{\n    "outputs": [\n        1,\n        2\n    ]\n}'
    )


def test_several_outputs_in_rows_are_objects() -> None:
    outputs = {"a": np.array([1, 2]), "b": np.array([True, False])}
    assert rest_answers.predictions(outputs) == (
        '{\n    "predictions": [\n        {\n            "a": 1,\n            "b": true\n'
        '        },\n        {\n            "a": 2,\n            "b": false\n        }\n'
        "    ]\n}"
    )


def test_bytes_outputs_are_b64_when_named_so() -> None:
    outputs = {"img_bytes": np.array([b"\x00\x01"], dtype=object)}
    assert json.loads(rest_answers.outputs_json(outputs)) == {"outputs": [{"b64": "AAE="}]}


def test_classify_regress_and_error_answers() -> None:
    classified = classification_pb2.ClassificationResult()
    row = classified.classifications.add()
    row.classes.add(label="a", score=0.25)
    row.classes.add(label="b", score=0.75)
    assert rest_answers.classify_results(classified) == (
        '{\n    "results": [[["a", 0.25], ["b", 0.75]]\n    ]\n}'
    )
    regressed = regression_pb2.RegressionResult()
    regressed.regressions.add(value=3.5)
    regressed.regressions.add(value=4.0)
    assert rest_answers.regress_results(regressed) == '{\n    "results": [3.5, 4.0]\n}'
    assert rest_answers.error('no "x"') == '{\n    "error": "no \\"x\\""\n}'
