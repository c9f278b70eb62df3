"""POST /predict: images in, answers out (routed by the rollout when one is managed).

Each image's answer says what it is: a digit, uncertain between two, a number read digit by
digit (each with its box), or not a digit; inference.py builds it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from serving.gateway.api.deps import (
    AppRollout,
    AppSettings,
    Predictor,
    Preprocessor,
    RequestId,
    RolloutRoute,
)
from serving.gateway.api.examples import EXAMPLES
from serving.gateway.inference import run_prediction
from serving.gateway.rollout import Route
from serving.gateway.schemas import ErrorResponse, PredictionResponse
from serving.gateway.uploads import read_images

router = APIRouter(tags=["predict"])

# The body is read by hand (multipart or raw image), so describe it for /docs here.
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "one or more images (repeat the field for a batch)",
                    }
                },
                "required": ["file"],
            }
        },
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
    },
}


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        404: "unknown version or label",
        408: "the body did not arrive within GATEWAY_BODY_TIMEOUT_SECONDS",
        413: "upload, pixel, decoded-size, image-count or digit-count limit exceeded",
        415: "not an image, or a format not accepted",
        422: "no image, corrupt image, blank image, bad parameters, or X-Client-ID too long",
        502: "the model server rejected the gateway's request",
        503: "model server unreachable, no version servable, or the gateway busy (Retry-After)",
        504: "model server deadline exceeded",
    }.items()
}


@router.post(
    "/predict",
    response_model=PredictionResponse,
    responses={
        200: {"content": {"application/json": {"examples": EXAMPLES}}},
        **ERRORS,
    },
    openapi_extra={"requestBody": REQUEST_BODY},
    summary="Read the digit, the number, or no digit, in one or more images",
)
async def predict(
    request: Request,
    settings: AppSettings,
    predictor: Predictor,
    preprocessing: Preprocessor,
    rollout: AppRollout,
    route: RolloutRoute,
    request_id: RequestId,
    include_input: Annotated[
        bool, Query(description="also return the 28×28 image the model saw")
    ] = False,
) -> PredictionResponse:
    """PNG, JPEG, GIF, BMP, WebP or TIFF; any size up to the limits; either polarity.

    Each image's answer has a `status`: `digit` (one digit, clearly: `digit`, `confidence`),
    `uncertain` (one digit, the top two close: both in `candidates`), `number` (several
    digits in a row: `number`, e.g. "2026"), or `not_a_digit` (a scribble, a letter, noise,
    a photo of something else: `reasons`). `digits` gives every digit read, left to right,
    with its box in the upload's pixels; `?include_input=true` adds each one's 28×28 input.
    `digit`, `confidence` and `candidates` are null or empty unless the answer is one digit;
    `probabilities` and `model_input` are given when the image shows one shape. A blank image
    is a 422. All digits of all images go to the model server in one Predict: at most
    GATEWAY_MAX_DIGITS per request (413 beyond).

    Example: `curl -F file=@digit.png http://localhost:8000/predict`, or
    `curl -H 'Content-Type: image/png' --data-binary @digit.png http://localhost:8000/predict`.
    """
    images = await read_images(request, settings)

    async def answer(route: Route) -> PredictionResponse:
        return await run_prediction(
            predictor,
            images,
            route.selector,
            preprocessing=preprocessing,
            request_id=request_id,
            include_input=include_input,
            after_predict=lambda batch, result, seconds, answers: rollout.answered(
                route, batch, result, seconds, request_id, answers
            ),
        )

    response, route = await rollout.serve(route, answer)
    response.role = route.role
    request.state.model_version = response.model_version  # for the access log
    return response
