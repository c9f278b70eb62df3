"""One prediction request in three named, timed stages: preprocess → predict → postprocess."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from serving.gateway.instruments import CONFIDENCE, PREDICTIONS, child, timed_stage
from serving.gateway.pool import Preprocessing
from serving.gateway.predictor import PredictorClient, PredictResult, VersionSelector
from serving.gateway.schemas import DigitPrediction, PredictionResponse, Timings

# Called with the model input, the answer and the predict stage's seconds (rollout.py).
AfterPredict = Callable[[np.ndarray, PredictResult, float], None]


async def preprocess(images: Sequence[bytes], preprocessing: Preprocessing) -> np.ndarray:
    # Always in a pool, even a small PNG: a small file can claim a huge image.
    return await preprocessing.run(images)


async def predict(
    predictor: PredictorClient, batch: np.ndarray, selector: VersionSelector, request_id: str
) -> PredictResult:
    return await predictor.predict(batch, selector, request_id)  # all images in one Predict


def postprocess(
    prediction: PredictResult, batch: np.ndarray, include_input: bool
) -> list[DigitPrediction]:
    results = []
    version = str(prediction.model_version)
    for probabilities, image in zip(prediction.probabilities, batch, strict=True):
        digit = int(np.argmax(probabilities))
        confidence = float(probabilities[digit])
        child(PREDICTIONS, str(digit), version).inc()
        child(CONFIDENCE, version).observe(confidence)
        results.append(
            DigitPrediction(
                digit=digit,
                confidence=round(confidence, 6),
                probabilities=[round(float(p), 6) for p in probabilities],
                model_input=np.round(image[..., 0], 3).tolist() if include_input else None,
            )
        )
    return results


async def run_prediction(
    predictor: PredictorClient,
    images: Sequence[bytes],
    selector: VersionSelector,
    *,
    preprocessing: Preprocessing,
    request_id: str,
    include_input: bool = False,
    after_predict: AfterPredict | None = None,
) -> PredictionResponse:
    with timed_stage("preprocess") as preprocess_time:
        batch = await preprocess(images, preprocessing)
    with timed_stage("predict") as inference:
        prediction = await predict(predictor, batch, selector, request_id)
    if after_predict is not None:
        after_predict(batch, prediction, inference.seconds)
    with timed_stage("postprocess"):
        predictions = postprocess(prediction, batch, include_input)
    return PredictionResponse(
        model_name=prediction.model_name,
        model_version=prediction.model_version,
        request_id=request_id,
        predictions=predictions,
        timings=Timings(
            preprocess_ms=round(preprocess_time.seconds * 1000, 3),
            inference_ms=round(inference.seconds * 1000, 3),
        ),
    )
