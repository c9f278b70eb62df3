"""Classify and Regress in TF Serving's terms: tf.Examples in, classes, scores or values out.

As TF Serving's classifier and regressor: the signature has one input, fed the serialized
examples (a DT_STRING vector; with `example_list_with_context`, each example merged into the
context), and `classes` and/or `scores` outputs for Classify, an `outputs` output for Regress,
each with one row per example.
"""

from collections.abc import Mapping, Sequence

import numpy as np
from tensorflow.core.example.example_pb2 import Example
from tensorflow_serving.apis import classification_pb2, inference_pb2, input_pb2, regression_pb2

from serving.model_server.errors import invalid_argument
from serving.model_server.servable import Signature

CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
CLASSES, SCORES, OUTPUTS = "classes", "scores", "outputs"


def serialized_examples(proto: input_pb2.Input) -> np.ndarray:
    """The examples of an Input as the DT_STRING vector a signature is fed."""
    kind = proto.WhichOneof("kind")
    if kind == "example_list":
        examples = [e.SerializeToString() for e in proto.example_list.examples]
    elif kind == "example_list_with_context":
        context = proto.example_list_with_context.context
        examples = [_merged(context, e) for e in proto.example_list_with_context.examples]
    else:
        examples = []
    if not examples:
        raise invalid_argument("Input is empty.")
    return np.array(examples, dtype=object)


def check_tasks(tasks: Sequence[inference_pb2.InferenceTask]) -> None:
    """One model, each signature once, Classify or Regress only (TF Serving's rules)."""
    if not tasks:
        raise invalid_argument("MultiInferenceRequest must contain at least one task")
    if len({task.model_spec.name for task in tasks}) > 1:
        raise invalid_argument(
            "All ModelSpecs in a MultiInferenceRequest must access the same model name."
        )
    seen: set[str] = set()
    for task in tasks:
        signature = task.model_spec.signature_name
        if signature in seen:
            raise invalid_argument(f"Duplicate evaluation of signature: {signature}")
        seen.add(signature)
        if task.method_name not in (CLASSIFY_METHOD, REGRESS_METHOD):
            raise invalid_argument(f"Unsupported signature method_name: {task.method_name}")


def _merged(context: Example, example: Example) -> bytes:
    merged = Example()
    merged.CopyFrom(context)
    merged.MergeFrom(example)
    return merged.SerializeToString()


def example_inputs(signature: Signature, examples: np.ndarray) -> dict[str, np.ndarray]:
    """The signature's one input fed the examples, whatever dtype it declares (TF Serving
    feeds its tensor all the same; e.g. saved_model_half_plus_three declares DT_FLOAT)."""
    if len(signature.inputs) != 1:
        raise invalid_argument("Expected one input Tensor.")
    return {next(iter(signature.inputs)): examples}


def check_method(signature: Signature, method: str, strict: bool) -> None:
    """--enable_signature_method_name_check: the signature must say it is for `method`."""
    if strict and signature.method_name != method:
        raise invalid_argument(
            f"Expected {method} signature method_name to be {method}. Was: {signature.method_name}"
        )


def classification_outputs(signature: Signature) -> None:
    if CLASSES not in signature.outputs and SCORES not in signature.outputs:
        raise invalid_argument(
            f"Expected classification signature outputs to contain at least one of "
            f'"{CLASSES}" and "{SCORES}". Signature was: {signature.name}'
        )


def regression_outputs(signature: Signature) -> None:
    if OUTPUTS not in signature.outputs:
        raise invalid_argument(
            f'No regression outputs found. Expected output "{OUTPUTS}" in signature '
            f"{signature.name}"
        )


def _rows(name: str, value: np.ndarray, count: int) -> np.ndarray:
    """[count] or [count, k] as [count, k]."""
    table = value.reshape(count, -1) if value.ndim == 1 and value.shape[0] == count else value
    if table.ndim != 2 or table.shape[0] != count:
        raise invalid_argument(
            f"Expected {name} Tensor shape to be [batch_size, num_classes] with batch_size "
            f"{count}, got {list(value.shape)}"
        )
    return table


def classification_result(
    outputs: Mapping[str, np.ndarray], count: int
) -> classification_pb2.ClassificationResult:
    classes = outputs.get(CLASSES)
    scores = outputs.get(SCORES)
    if scores is not None and scores.dtype != np.float32:
        raise invalid_argument(f"Expected scores Tensor of DT_FLOAT. Got: {scores.dtype}")
    labels = None if classes is None else _rows(CLASSES, classes, count)
    values = None if scores is None else _rows(SCORES, scores, count)
    width = (labels if labels is not None else values).shape[1]  # type: ignore[union-attr]
    result = classification_pb2.ClassificationResult()
    for row in range(count):
        classification = result.classifications.add()
        for column in range(width):
            entry = classification.classes.add()
            if labels is not None:
                entry.label = _text(labels[row, column])
            if values is not None:
                entry.score = float(values[row, column])
    return result


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def regression_result(
    outputs: Mapping[str, np.ndarray], count: int
) -> regression_pb2.RegressionResult:
    values = outputs[OUTPUTS]
    if values.shape not in ((count,), (count, 1)):
        raise invalid_argument(
            "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] "
            f"but got {list(values.shape)}"
        )
    result = regression_pb2.RegressionResult()
    for value in values.reshape(count).tolist():
        result.regressions.add().value = float(value)
    return result
