"""TF Serving's REST answers, written as its rapidjson PrettyWriter writes them.

The order of calls follows TF Serving's util/json_tensor.cc, so that the bytes match:
row-format predictions, columnar outputs, classify and regress results and errors. Floats
take their shortest round-tripping form (`2.15`, never `2.1500000953674316`); NaN and
Infinity are written bare, as TF Serving writes them.
"""

import base64
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from tensorflow_serving.apis import classification_pb2, regression_pb2

from serving.model_server.rest_json import B64

BYTES_SUFFIX = "_bytes"  # a DT_STRING output so named is written as {"b64": ...}


def decimal(value: float, single: bool) -> str:
    """WriteDecimal: six significant digits when they round-trip, else all of them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    text = f"{value:g}"
    parsed = np.float32(float(text)) if single else float(text)
    if parsed != value:
        text = f"{value:.9g}" if single else f"{value:.17g}"
    if "." not in text and "e" not in text:
        text += ".0"
    return text


class PrettyWriter:
    """rapidjson's PrettyWriter (4-space indent), with its single-line-array option."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.single_line = False
        self._levels: list[list[Any]] = []  # [in_array, value_count]

    def _prefix(self) -> None:
        if not self._levels:
            return
        level = self._levels[-1]
        in_array, count = level
        if in_array:
            if count:
                self.parts.append(", " if self.single_line else ",")
            if not self.single_line:
                self.parts.append("\n" + "    " * len(self._levels))
        else:
            if count:
                self.parts.append(",\n" if count % 2 == 0 else ": ")
            else:
                self.parts.append("\n")
            if count % 2 == 0:
                self.parts.append("    " * len(self._levels))
        level[1] += 1

    def raw(self, text: str) -> None:
        self._prefix()
        self.parts.append(text)

    def string(self, text: str) -> None:
        self.raw(json.dumps(text, ensure_ascii=False))

    key = string

    def start(self, array: bool) -> None:
        self._prefix()
        self.parts.append("[" if array else "{")
        self._levels.append([array, 0])

    def end(self) -> None:
        array, count = self._levels.pop()
        if count and not (array and self.single_line):
            self.parts.append("\n" + "    " * len(self._levels))
        self.parts.append("]" if array else "}")

    def text(self) -> str:
        return "".join(self.parts)


def write_scalar(writer: PrettyWriter, value: Any, dtype: np.dtype, as_bytes: bool) -> None:
    if dtype.kind == "f":
        writer.raw(decimal(float(value), dtype.itemsize <= 4))
    elif dtype.kind == "b":
        writer.raw("true" if value else "false")
    elif dtype.kind in "iu":
        writer.raw(str(int(value)))
    elif as_bytes:
        writer.start(array=False)
        writer.key(B64)
        writer.string(base64.b64encode(bytes(value)).decode())
        writer.end()
    else:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        writer.string(text)


def write_values(writer: PrettyWriter, array: np.ndarray, as_bytes: bool) -> None:
    """AddTensorValues: nested arrays, a scalar bare."""
    if array.ndim == 0:
        write_scalar(
            writer, array.item() if array.dtype.kind != "O" else array[()], array.dtype, as_bytes
        )
        return
    writer.start(array=True)
    for item in array:
        if array.ndim == 1:
            write_scalar(writer, item, array.dtype, as_bytes)
        else:
            write_values(writer, item, as_bytes)
    writer.end()


def _output(writer: PrettyWriter, name: str, array: np.ndarray) -> None:
    write_values(writer, array, array.dtype.kind in "OS" and name.endswith(BYTES_SUFFIX))


def predictions(outputs: Mapping[str, np.ndarray]) -> str:
    """MakeRowFormatJsonFromTensors: one entry per row of the 0th dimension."""
    rows = {array.shape[0] if array.ndim else -1 for array in outputs.values()}
    if len(rows) != 1 or -1 in rows:
        raise ValueError(f"outputs disagree on their batch size: {sorted(rows)}")
    writer, objects = PrettyWriter(), len(outputs) > 1
    writer.start(array=False)
    writer.key("predictions")
    writer.start(array=True)
    for row in range(rows.pop()):
        if objects:
            writer.start(array=False)
        writer.single_line = True
        for name in sorted(outputs):
            if objects:
                writer.key(name)
            _output(writer, name, outputs[name][row])
        writer.single_line = False
        if objects:
            writer.end()
    writer.end()
    writer.end()
    return writer.text()


def outputs_json(outputs: Mapping[str, np.ndarray]) -> str:
    """MakeColumnarFormatJsonFromTensors: each output whole."""
    writer, objects = PrettyWriter(), len(outputs) > 1
    writer.start(array=False)
    writer.key("outputs")
    if objects:
        writer.start(array=False)
    for name in sorted(outputs):
        if objects:
            writer.key(name)
        _output(writer, name, outputs[name])
    if objects:
        writer.end()
    writer.end()
    return writer.text()


def classify_results(result: classification_pb2.ClassificationResult) -> str:
    writer = PrettyWriter()
    writer.start(array=False)
    writer.key("results")
    writer.start(array=True)
    for classifications in result.classifications:
        writer.single_line = True
        writer.start(array=True)
        for entry in classifications.classes:
            writer.start(array=True)
            writer.string(entry.label)
            writer.raw(decimal(entry.score, single=True))
            writer.end()
        writer.end()
        writer.single_line = False
    writer.end()
    writer.end()
    return writer.text()


def regress_results(result: regression_pb2.RegressionResult) -> str:
    writer = PrettyWriter()
    writer.start(array=False)
    writer.key("results")
    writer.single_line = True
    writer.start(array=True)
    for regression in result.regressions:
        writer.raw(decimal(regression.value, single=True))
    writer.end()
    writer.end()
    return writer.text()


def error(message: str) -> str:
    """MakeJsonFromStatus: `{"error": message}`."""
    writer = PrettyWriter()
    writer.start(array=False)
    writer.key("error")
    writer.string(message)
    writer.end()
    return writer.text()
