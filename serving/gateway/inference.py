"""One prediction request in three named, timed stages: preprocess → predict → postprocess."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from starlette.concurrency import run_in_threadpool

from contract.preprocessing import preprocess_batch
from serving.gateway.instruments import CONFIDENCE, PREDICTIONS, child, timed_stage
from serving.gateway.predictor import PredictorClient, PredictResult, VersionSelector
from serving.gateway.schemas import DigitPrediction, PredictionResponse, Timings

# Small uploads decode in well under a millisecond: cheaper inline than a thread hop.
INLINE_PREPROCESS_MAX_BYTES = 64 * 1024


async def preprocess(images: Sequence[bytes], max_pixels: int) -> np.ndarray:
    if sum(len(data) for data in images) <= INLINE_PREPROCESS_MAX_BYTES:
        return preprocess_batch(images, max_pixels)
    return await run_in_threadpool(preprocess_batch, images, max_pixels)


async def predict(
    predictor: PredictorClient, batch: np.ndarray, selector: VersionSelector
) -> PredictResult:
    return await predictor.predict(batch, selector)  # all images in one Predict call


def postprocess(
    prediction: PredictResult, batch: np.ndarray, include_input: bool
) -> list[DigitPrediction]:
    results = []
    for probabilities, image in zip(prediction.probabilities, batch, strict=True):
        digit = int(np.argmax(probabilities))
        confidence = float(probabilities[digit])
        child(PREDICTIONS, str(digit), str(prediction.model_version)).inc()
        CONFIDENCE.observe(confidence)
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
    max_pixels: int,
    request_id: str,
    include_input: bool = False,
) -> PredictionResponse:
    with timed_stage("preprocess") as preprocessing:
        batch = await preprocess(images, max_pixels)
    with timed_stage("predict") as inference:
        prediction = await predict(predictor, batch, selector)
    with timed_stage("postprocess"):
        predictions = postprocess(prediction, batch, include_input)
    return PredictionResponse(
        model_name=prediction.model_name,
        model_version=prediction.model_version,
        request_id=request_id,
        predictions=predictions,
        timings=Timings(
            preprocess_ms=round(preprocessing.seconds * 1000, 3),
            inference_ms=round(inference.seconds * 1000, 3),
        ),
    )
