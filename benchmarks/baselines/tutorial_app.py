"""The tutorial approach, for comparison: a FastAPI endpoint that decodes the upload and calls
the Keras model's `predict` in-process for every request, as most online guides show.

TUTORIAL_MODEL names a `.keras` file, or a SavedModel version folder (wrapped in a
`TFSMLayer`). Run: TUTORIAL_MODEL=runs/cnn/model.keras \
    python -m uvicorn --app-dir benchmarks/baselines tutorial_app:app --port 8200
"""

from __future__ import annotations

import io
import os
from typing import Any

import keras
import numpy as np
from fastapi import FastAPI, UploadFile
from PIL import Image, ImageOps


def load_model(path: str) -> keras.Model:
    if path.endswith(".keras"):
        return keras.models.load_model(path)
    layer = keras.layers.TFSMLayer(path, call_endpoint="serving_default")
    return keras.Sequential([keras.Input((28, 28, 1)), layer])


model = load_model(os.environ.get("TUTORIAL_MODEL", "runs/cnn/model.keras"))
app = FastAPI(title="Tutorial approach")


@app.post("/predict")
async def predict(file: UploadFile) -> dict[str, Any]:
    image = Image.open(io.BytesIO(await file.read())).convert("L").resize((28, 28))
    if np.asarray(image).mean() > 127:  # the guides' polarity fix: MNIST is white on black
        image = ImageOps.invert(image)
    pixels = np.asarray(image, dtype=np.float32).reshape(1, 28, 28, 1) / 255.0
    probabilities = model.predict(pixels, verbose=0)
    if isinstance(probabilities, dict):
        probabilities = probabilities["probabilities"]
    return {
        "digit": int(np.argmax(probabilities[0])),
        "confidence": float(np.max(probabilities[0])),
    }
