"""What one image's answer says, as the cells of a row: answer, confidence, version, status.

Shared by `predict` (the gateway's JSON) and `grpc` (reader.judge.Answer, put in the
gateway's JSON shape by `as_json`), so both commands print the same table.
"""

from __future__ import annotations

from typing import Any

from reader.judge import Answer

COLUMNS = ["file", "answer", "confidence", "version", "status", ""]


def cells(prediction: dict[str, Any], version: int) -> list[str]:
    """answer, confidence, version, status of one image's prediction (the gateway's JSON);
    the status says what was left out, if anything."""
    *answer, said = judged_cells(prediction, version)
    return [*answer, said + left_out_text(prediction.get("left_out", []))]


def left_out_text(marks: list[dict[str, Any]]) -> str:
    """ "; left out: [l, t, r, b] why, ..." (a gateway from before the field: nothing)."""
    if not marks:
        return ""
    each = ", ".join(
        f"[{', '.join(str(v) for v in mark['box'])}] {mark['reason']}" for mark in marks
    )
    return f"; left out: {each}"


def judged_cells(prediction: dict[str, Any], version: int) -> list[str]:
    status = prediction.get("status", "digit")  # a gateway from before statuses: a digit
    if status == "number":
        read = [d for d in prediction["digits"] if not d.get("stray")]
        each = " ".join(f"{d['digit']}:{d['confidence']:.2f}" for d in read)
        return [prediction["number"], "-", str(version), f"number ({each})"]
    if status == "not_a_digit":
        reasons = "; ".join(prediction.get("reasons", []))
        return ["-", "-", str(version), f"not a digit: {reasons}"]
    confidence = f"{prediction['confidence']:.3f}"
    if status == "uncertain":
        first, second = prediction["candidates"][:2]
        said = f"uncertain: {first['digit']} or {second['digit']} ({second['probability']:.3f})"
        return [str(prediction["digit"]), confidence, str(version), said]
    return [str(prediction["digit"]), confidence, str(version), "digit"]


def as_json(answer: Answer) -> dict[str, Any]:
    """The fields of the gateway's answer that `cells` reads."""
    return {
        "status": answer.status,
        "digit": answer.digit,
        "confidence": answer.confidence,
        "candidates": [{"digit": d, "probability": p} for d, p in answer.candidates],
        "number": answer.number,
        "digits": [
            {"digit": d.digit, "confidence": d.confidence, "stray": d.stray} for d in answer.digits
        ],
        "reasons": list(answer.reasons),
        "left_out": [{"box": list(m.box), "reason": m.reason} for m in answer.left_out],
    }
