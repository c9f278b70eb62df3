"""The rollout as this worker sees it: GET /v1/rollout (live figures per version, which the
guard of `python -m serving.rollout watch` reads), GET /v1/rollout/disagreements (the
shadow's disagreements with stable) and GET /rollout (a page to review them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from serving.gateway.api.deps import AppRollout, AppSettings
from serving.gateway.api.routes.web import STATIC_DIR
from serving.gateway.errors import BadWindow
from serving.gateway.rollout_schemas import (
    AnswerBody,
    DisagreementBody,
    DisagreementsResponse,
    FiguresResponse,
    StateBody,
    VersionFiguresBody,
)
from serving.gateway.schemas import ErrorResponse
from serving.gateway.shadow import Answer, Disagreement

router = APIRouter(tags=["rollout"])


@router.get(
    "/v1/rollout",
    response_model=FiguresResponse,
    responses={422: {"model": ErrorResponse}},
    summary="Live figures per model version and role, over a window",
)
async def figures(
    rollout: AppRollout,
    settings: AppSettings,
    window: Annotated[
        float | None,
        Query(gt=0, description="seconds (default GATEWAY_FIGURES_WINDOW_SECONDS)"),
    ] = None,
) -> FiguresResponse:
    """This worker's figures (each gateway process counts its own traffic)."""
    seconds = window if window is not None else settings.figures_window_seconds
    if seconds > settings.figures_max_window_seconds:
        raise BadWindow(
            f"window {seconds:g} s is over the {settings.figures_max_window_seconds:g} s "
            "the gateway keeps (GATEWAY_FIGURES_MAX_WINDOW_SECONDS)"
        )
    rollout.watcher.refresh()  # a command waiting for its generation sees it at once
    current = rollout.figures_over(seconds)
    return FiguresResponse(
        generation=current.generation,
        window_seconds=current.window_seconds,
        versions=[
            VersionFiguresBody.model_validate(v, from_attributes=True) for v in current.versions
        ],
        state=StateBody.of(rollout.state),
    )


def answer_body(answer: Answer) -> AnswerBody:
    return AnswerBody(version=answer.version, digit=answer.digit, confidence=answer.confidence)


def disagreement_body(found: Disagreement) -> DisagreementBody:
    return DisagreementBody(
        request_id=found.request_id,
        index=found.index,
        time=found.time,
        pixels=found.pixels.tolist(),
        stable=answer_body(found.stable),
        candidate=answer_body(found.candidate),
    )


@router.get(
    "/v1/rollout/disagreements",
    response_model=DisagreementsResponse,
    summary="Images on which the candidate's digit was not stable's, newest first",
)
async def disagreements(
    rollout: AppRollout,
    limit: Annotated[int | None, Query(ge=1, description="at most this many")] = None,
) -> DisagreementsResponse:
    kept = rollout.disagreements
    latest = kept.latest(limit)
    return DisagreementsResponse(
        kept=len(kept),
        capacity=kept.capacity,
        seen=kept.seen,
        state=StateBody.of(rollout.state),
        disagreements=[disagreement_body(d) for d in latest],
    )


@router.get("/rollout", include_in_schema=False)
async def gallery() -> FileResponse:
    return FileResponse(STATIC_DIR / "rollout.html", media_type="text/html")
