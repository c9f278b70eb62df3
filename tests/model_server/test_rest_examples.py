"""REST `:classify`/`:regress` bodies as tf.Examples, in process."""

import json

import pytest

from serving.model_server.errors import ServingError
from serving.model_server.rest_examples import examples_input


def test_examples_become_tf_examples_with_typed_features() -> None:
    body = json.loads('{"context": {"c": "k"}, "examples": [{"x": 1.5, "n": [1, 2]}]}')
    proto = examples_input(body, "classify")
    example = proto.example_list_with_context.examples[0]
    assert list(example.features.feature["x"].float_list.value) == [1.5]
    assert list(example.features.feature["n"].int64_list.value) == [1, 2]
    assert proto.example_list_with_context.context.features.feature["c"].bytes_list.value == [b"k"]
    with pytest.raises(ServingError, match="expecting type: float"):
        examples_input({"examples": [{"x": [1.5, 2]}]}, "regress")
