"""One prediction request in three named, timed stages: preprocess → predict → postprocess.

Preprocessing reads each image as the digits it shows (reader.reading); the digits of all
images, stacked, go to the model server in one Predict; postprocessing splits the rows back
per image and judges each image (reader.judge.judge_all) by the calibration of the version
that answered (it comes with the answer): digit, uncertain, not_a_digit or number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from reader.judge import DIGIT, UNCERTAIN, Answer, DigitAnswer, judge_all, per_reading
from reader.reading import ReadDigit, Reading
from serving.gateway.instruments import ANSWERS, CONFIDENCE, PREDICTIONS, child, timed_stage
from serving.gateway.pool import Preprocessing
from serving.gateway.predictor import PredictorClient, PredictResult, VersionSelector
from serving.gateway.schemas import (
    Candidate,
    DigitRead,
    ImagePrediction,
    LeftOutMark,
    PredictionResponse,
    Timings,
)

# Called with the model input (all digits, stacked), the answer, the predict stage's seconds
# and the judged answer of each image (rollout.py).
AfterPredict = Callable[[np.ndarray, PredictResult, float, Sequence[Answer]], None]
ONE_DIGIT = (DIGIT, UNCERTAIN)


async def preprocess(images: Sequence[bytes], preprocessing: Preprocessing) -> list[Reading]:
    # Always in a pool, even a small PNG: a small file can claim a huge image.
    return await preprocessing.run(images)


def stack(readings: Sequence[Reading]) -> np.ndarray:
    """float32 [digits of all images, 28, 28, 1], image after image."""
    return np.concatenate([reading.images() for reading in readings])


async def predict(
    predictor: PredictorClient, batch: np.ndarray, selector: VersionSelector, request_id: str
) -> PredictResult:
    return await predictor.predict(batch, selector, request_id)  # all digits in one Predict


def postprocess(
    prediction: PredictResult,
    readings: Sequence[Reading],
    answers: Sequence[Answer],
    include_input: bool,
) -> list[ImagePrediction]:
    version = str(prediction.model_version)
    for row in prediction.probabilities:
        digit = int(np.argmax(row))
        child(PREDICTIONS, str(digit), version).inc()
        child(CONFIDENCE, version).observe(float(row[digit]))
    split = per_reading(readings, prediction.probabilities)
    results = []
    for reading, answer, rows in zip(readings, answers, split, strict=True):
        child(ANSWERS, answer.status, version).inc()
        results.append(image_prediction(reading, answer, rows, include_input))
    return results


def image_prediction(
    reading: Reading, answer: Answer, rows: np.ndarray, include_input: bool
) -> ImagePrediction:
    # One digit read (beside stray marks, if any): its probabilities and input are the image's.
    kept = [i for i, judged in enumerate(answer.digits) if not judged.stray]
    one_shape = len(kept) == 1
    digits = [
        digit_read(read, judged, include_input)
        for read, judged in zip(reading.digits, answer.digits, strict=True)
    ]
    return ImagePrediction(
        status=answer.status,  # type: ignore[arg-type]  # one of the contract's four
        digit=answer.digit,
        confidence=round(answer.confidence, 6) if answer.confidence is not None else None,
        probabilities=[round(float(p), 6) for p in rows[kept[0]]] if one_shape else None,
        candidates=candidates(answer.candidates) if answer.status in ONE_DIGIT else [],
        number=answer.number,
        digits=digits,
        reasons=list(answer.reasons),
        left_out=[LeftOutMark(box=list(mark.box), reason=mark.reason) for mark in answer.left_out],
        model_input=digits[kept[0]].model_input if one_shape else None,
    )


def digit_read(read: ReadDigit, judged: DigitAnswer, include_input: bool) -> DigitRead:
    return DigitRead(
        digit=judged.digit,
        confidence=round(judged.confidence, 6),
        status=judged.status,  # type: ignore[arg-type]  # digit, uncertain or not_a_digit
        candidates=candidates(judged.candidates),
        box=list(judged.box),
        reasons=list(judged.reasons),
        stray=judged.stray,
        model_input=np.round(read.image[..., 0], 3).tolist() if include_input else None,
    )


def candidates(found: Sequence[tuple[int, float]]) -> list[Candidate]:
    return [Candidate(digit=d, probability=round(p, 6)) for d, p in found]


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
        readings = await preprocess(images, preprocessing)
        batch = stack(readings)
    with timed_stage("predict") as inference:
        prediction = await predict(predictor, batch, selector, request_id)
    with timed_stage("postprocess"):
        answers = judge_all(
            readings, prediction.probabilities, prediction.digit_scores, prediction.calibration
        )
        predictions = postprocess(prediction, readings, answers, include_input)
    if after_predict is not None:
        after_predict(batch, prediction, inference.seconds, answers)
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
