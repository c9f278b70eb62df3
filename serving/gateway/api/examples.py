"""Example answers of POST /predict, one per status, for /docs (api/routes/predict.py)."""

from __future__ import annotations

from typing import Any


def example(status: str, **fields: Any) -> dict[str, Any]:
    """One image's answer in /docs; the request's fields around it."""
    prediction = {
        **dict.fromkeys(["digit", "confidence", "probabilities", "number", "model_input"]),
        **{"status": status, "candidates": [], "reasons": []},
        **fields,
    }
    return {
        "summary": status,
        "value": {
            "model_name": "mnist",
            "model_version": 1,
            "role": "stable",
            "request_id": "5f0c2b9e8a1d4e7f",
            "predictions": [prediction],
            "timings": {"preprocess_ms": 3.1, "inference_ms": 2.4},
        },
    }


def read_digit(digit: int, confidence: float, box: list[int], **fields: Any) -> dict[str, Any]:
    second = (digit + 1) % 10
    return {"digit": digit, "confidence": confidence, "status": "digit",
            "candidates": [{"digit": digit, "probability": confidence},
                           {"digit": second, "probability": round(1 - confidence, 3)}],
            "box": box, "reasons": [], "model_input": None, **fields}  # fmt: skip


SEVEN = [0.0, 0.001, 0.002, 0.001, 0.0, 0.0, 0.0, 0.993, 0.001, 0.002]
UNSURE = [0.0, 0.001, 0.002, 0.001, 0.51, 0.0, 0.001, 0.015, 0.0, 0.47]
EXAMPLES: dict[str, Any] = {
    "digit": example(
        "digit", digit=7, confidence=0.993, probabilities=SEVEN,
        candidates=[{"digit": 7, "probability": 0.993}, {"digit": 2, "probability": 0.002}],
        digits=[read_digit(7, 0.993, [48, 30, 170, 210])],
    ),
    "uncertain": example(
        "uncertain", digit=4, confidence=0.51, probabilities=UNSURE,
        candidates=[{"digit": 4, "probability": 0.51}, {"digit": 9, "probability": 0.47}],
        digits=[read_digit(4, 0.51, [60, 22, 160, 200], status="uncertain",
                           reasons=["4 or 9"])],
        reasons=["4 or 9"],
    ),
    "number": example(
        "number", number="2026",
        digits=[read_digit(d, c, [40 + 70 * i, 50, 100 + 70 * i, 140])
                for i, (d, c) in enumerate([(2, 0.998), (0, 0.995), (2, 0.97), (6, 0.99)])],
    ),
    "not_a_digit": example(
        "not_a_digit", probabilities=[0.1] * 10,
        digits=[read_digit(8, 0.31, [12, 9, 300, 228], status="not_a_digit",
                           reasons=["the model sees no digit (best 31%)"])],
        reasons=["ink covers 47% of the image"],
    ),
}  # fmt: skip
