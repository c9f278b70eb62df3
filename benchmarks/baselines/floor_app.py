"""The HTTP floor: the gateway's FastAPI/uvicorn stack taking the same multipart upload and
answering a constant JSON, without decoding the image or asking a model. No server built on
this stack can be faster; the gateway's throughput is compared with it.

Run: python -m uvicorn --app-dir benchmarks/baselines floor_app:app --port 8100
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, UploadFile

# The size and shape of the gateway's answer, so that both serialize the same amount.
ANSWER: dict[str, Any] = {
    "model_name": "mnist",
    "model_version": 1,
    "request_id": "0" * 32,
    "predictions": [{"digit": 7, "confidence": 0.99, "probabilities": [0.001] * 10}],
    "timings": {"preprocess_ms": 0.0, "inference_ms": 0.0},
}

app = FastAPI(title="HTTP floor")


@app.post("/predict")
async def predict(file: UploadFile) -> dict[str, Any]:
    await file.read()  # the upload is received and parsed as the gateway's is
    return ANSWER
