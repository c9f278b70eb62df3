"""POST /feedback: a person says which digit an image really was; the answer says whether
the model was right, and the verdict counts for the version that answered, in its role."""

from __future__ import annotations

from fastapi import APIRouter

from serving.gateway.api.deps import AppRollout, AppSettings
from serving.gateway.errors import BadFeedback, UnknownRequestId
from serving.gateway.rollout_schemas import FeedbackRequest, FeedbackResponse
from serving.gateway.schemas import ErrorResponse

router = APIRouter(tags=["predict"])


@router.post(
    "/feedback",
    response_model=FeedbackResponse,
    responses={
        404: {"model": ErrorResponse, "description": "not among the remembered predictions"},
        422: {
            "model": ErrorResponse,
            "description": "a digit outside 0..9, a bad index, or an answer that was not one "
            "digit (number, not_a_digit)",
        },
    },
    summary="Report the true digit of a prediction",
)
async def feedback(
    report: FeedbackRequest, rollout: AppRollout, settings: AppSettings
) -> FeedbackResponse:
    """`{"request_id": "…", "digit": 4}`, `index` for the n-th image of a batch. Only an
    image answered `digit` or `uncertain` takes feedback (its most likely digit is judged)."""
    remembered = rollout.memory.get(report.request_id)
    if remembered is None:
        raise UnknownRequestId(
            f"request {report.request_id!r} is not among the last "
            f"{settings.feedback_memory:,} predictions this gateway worker remembers "
            "(GATEWAY_FEEDBACK_MEMORY)"
        )
    if report.index >= len(remembered.digits):
        raise BadFeedback(
            f"index {report.index} is out of range: request {report.request_id!r} had "
            f"{len(remembered.digits)} image(s)"
        )
    predicted = remembered.digits[report.index]
    if predicted is None:
        raise BadFeedback(
            f"image {report.index} of request {report.request_id!r} was answered "
            f"{remembered.statuses[report.index]!r}, not one digit: feedback takes answers of "
            "status 'digit' or 'uncertain'"
        )
    correct = predicted == report.digit
    counted = report.index not in remembered.judged
    if counted:
        remembered.judged.add(report.index)
        rollout.feedback(remembered.version, remembered.role, correct)
    return FeedbackResponse(
        request_id=report.request_id,
        index=report.index,
        model_version=remembered.version,
        role=remembered.role,
        predicted=predicted,
        digit=report.digit,
        correct=correct,
        counted=counted,
    )
