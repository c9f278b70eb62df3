"""TF Serving's REST `:classify` and `:regress` bodies: `examples` (and `context`) as
tf.Examples, each JSON key a feature whose kind its values decide (a float, an int64, bytes
for a string or `{"b64": ...}`), as util/json_tensor.cc builds them."""

from typing import Any

from tensorflow.core.example.example_pb2 import Example
from tensorflow_serving.apis import input_pb2

from serving.model_server.errors import invalid_argument
from serving.model_server.rest_json import (
    INT64,
    b64_bytes,
    debug_string,
    is_b64,
    is_int,
    json_type,
)


def _feature_kind(value: Any, name: str) -> tuple[str, Any]:
    """AddValueToFeature: the Feature list a JSON scalar goes to, and its value."""
    if isinstance(value, bool):
        return "int64_list", int(value)
    if isinstance(value, float):
        return "float_list", value
    if isinstance(value, int):
        if not is_int(value, INT64):
            raise invalid_argument(
                f"Feature: {name} has uint64_t element. Only int64_t is supported."
            )
        return "int64_list", value
    if isinstance(value, str):
        return "bytes_list", value.encode("utf-8")
    if is_b64(value):
        return "bytes_list", b64_bytes(value)
    raise invalid_argument(
        f"Feature: {name} has element with unexpected JSON type: {json_type(value)}"
    )


def make_example(value: Any, example: Example) -> None:
    """MakeExampleFromJsonObject: each key a feature of one kind."""
    if not isinstance(value, dict):
        raise invalid_argument(f"Example must be JSON object but got JSON {json_type(value)}")
    for name, content in value.items():
        feature = example.features.feature[name]
        for item in content if isinstance(content, list) else [content]:
            kind, parsed = _feature_kind(item, name)
            current = feature.WhichOneof("kind")
            if current not in (None, kind):
                raise invalid_argument(
                    f"Unexpected element type in feature: {name} expecting type: "
                    f"{current.removesuffix('_list')}"
                )
            getattr(feature, kind).value.append(parsed)


def examples_input(body: dict[str, Any], method: str) -> input_pb2.Input:
    """FillClassifyRegressRequestFromJson: `context` and `examples` as an Input."""
    proto = input_pb2.Input()
    examples = body.get("examples")
    if "examples" not in body:
        raise invalid_argument(
            f"JSON Value: {debug_string(body)} When method is {method}, key 'examples' is "
            "expected and was not found"
        )
    if not isinstance(examples, list):
        raise invalid_argument(
            f"JSON Value: {debug_string(body)} Expecting 'examples' value to be an list/array"
        )
    if not examples:
        raise invalid_argument(
            f"JSON Value: {debug_string(body)} 'examples' value is an empty array"
        )
    if "context" in body:
        with_context = proto.example_list_with_context
        make_example(body["context"], with_context.context)
        for value in examples:
            make_example(value, with_context.examples.add())
    else:
        for value in examples:
            make_example(value, proto.example_list.examples.add())
    return proto
