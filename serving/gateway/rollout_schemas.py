"""Bodies of the rollout routes: GET /v1/rollout, GET /v1/rollout/disagreements and
POST /feedback. The figures mirror contract.rollout.RolloutFigures, which the guard parses."""

from __future__ import annotations

from pydantic import BaseModel, Field

from contract.rollout import RolloutState


class StateBody(BaseModel):
    stable: int
    candidate: int | None
    mode: str | None = Field(description="canary, shadow, or null without a candidate")
    percent: float = Field(description="share of unpinned traffic sent to the canary")
    generation: int
    updated: str

    @classmethod
    def of(cls, state: RolloutState | None) -> StateBody | None:
        if state is None:
            return None
        return cls(
            stable=state.stable,
            candidate=state.candidate,
            mode=state.mode,
            percent=state.percent,
            generation=state.generation,
            updated=state.updated,
        )


class VersionFiguresBody(BaseModel):
    version: int
    role: str = Field(examples=["canary"])
    requests: int = Field(description="answered Predict calls (clients' or shadow copies)")
    errors: int = Field(description="Predict calls the model server failed")
    p50_ms: float | None = Field(description="median latency of the Predict call")
    p99_ms: float | None
    mean_confidence: float | None = Field(description="mean probability of the answered digit")
    shadow_compared: int = Field(description="images the candidate answered as a shadow")
    shadow_agreed: int = Field(description="of which its digit was stable's")
    shadow_dropped: int = Field(description="copies not sent: too many in flight")
    feedback: int
    feedback_correct: int


class FiguresResponse(BaseModel):
    generation: int | None = Field(description="of the state applied; null when unmanaged")
    window_seconds: float
    versions: list[VersionFiguresBody]
    state: StateBody | None = Field(default=None, description="the state this worker applies")


class AnswerBody(BaseModel):
    version: int
    digit: int = Field(ge=0, le=9)
    confidence: float


class DisagreementBody(BaseModel):
    request_id: str
    index: int = Field(description="which image of the request")
    time: str
    pixels: list[list[int]] = Field(description="the 28×28 model input, 0..255, white on black")
    stable: AnswerBody
    candidate: AnswerBody


class DisagreementsResponse(BaseModel):
    kept: int = Field(description="disagreements in memory (the newest first below)")
    capacity: int = Field(description="GATEWAY_DISAGREEMENTS_KEPT")
    seen: int = Field(description="disagreements since this worker started, kept or not")
    state: StateBody | None
    disagreements: list[DisagreementBody]


class FeedbackRequest(BaseModel):
    request_id: str = Field(min_length=1, max_length=128, description="as /predict answered it")
    digit: int = Field(ge=0, le=9, description="the digit the image really shows")
    index: int = Field(0, ge=0, description="which image of the request (upload order)")


class FeedbackResponse(BaseModel):
    request_id: str
    index: int
    model_version: int
    role: str
    predicted: int = Field(description="the digit the model answered")
    digit: int = Field(description="the digit reported")
    correct: bool
    counted: bool = Field(description="false when this image was already reported")
