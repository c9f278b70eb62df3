"""Response bodies of the gateway's routes (no protobuf field reaches a client)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["digit", "uncertain", "not_a_digit", "number"]
DigitStatus = Literal["digit", "uncertain", "not_a_digit"]
MODEL_INPUT = "the 28×28 image the model saw, 0..1 (with ?include_input=true)"


class Candidate(BaseModel):
    digit: int = Field(ge=0, le=9, examples=[4])
    probability: float = Field(ge=0, le=1, examples=[0.52])


class DigitRead(BaseModel):
    """One digit found in an image (a number has several, left to right)."""

    digit: int = Field(ge=0, le=9, description="the most likely digit", examples=[2])
    confidence: float = Field(ge=0, le=1, description="probability of `digit`", examples=[0.98])
    status: DigitStatus = Field(examples=["digit"])
    candidates: list[Candidate] = Field(description="the two most likely digits, best first")
    box: list[int] = Field(
        min_length=4,
        max_length=4,
        description="[left, top, right, bottom] in the upload's pixels (EXIF orientation "
        "applied; right and bottom exclusive)",
        examples=[[12, 30, 58, 96]],
    )
    reasons: list[str] = Field(description="why it is uncertain or not a digit")
    stray: bool = Field(
        False,
        description="a short mark beside the digits that the model sees no digit in (a piece "
        "broken off a digit, a dot): left out of the image's answer",
    )
    model_input: list[list[float]] | None = Field(None, description=MODEL_INPUT)


class LeftOutMark(BaseModel):
    """A mark that could have been part of the answer and is not read."""

    box: list[int] = Field(
        min_length=4,
        max_length=4,
        description="[left, top, right, bottom] in the upload's pixels, as a digit's box",
        examples=[[210, 32, 236, 90]],
    )
    reason: str = Field(
        description="why it was left out",
        examples=["too far from the digits (2.3 digit heights along the row)"],
    )


class ImagePrediction(BaseModel):
    """The answer for one image. `digit`, `confidence` and `candidates` describe a one-digit
    answer (`digit` or `uncertain`) and are null or empty otherwise; `probabilities` and
    `model_input` are given whenever exactly one shape was read, stray marks aside (a
    `not_a_digit` too)."""

    status: Status = Field(
        description="digit: one digit, clearly; uncertain: one digit, the top two close "
        "(see `candidates`); not_a_digit: a scribble, a letter, noise, a photo of something "
        "else (see `reasons`); number: several digits in a row (see `number`, `digits`)",
        examples=["digit"],
    )
    digit: int | None = Field(None, ge=0, le=9, examples=[7])
    confidence: float | None = Field(
        None, ge=0, le=1, description="probability of `digit`", examples=[0.993]
    )
    probabilities: list[float] | None = Field(
        None, min_length=10, max_length=10, description="probability of each digit 0..9"
    )
    candidates: list[Candidate] = Field(
        default_factory=list, description="the two most likely digits of a one-digit answer"
    )
    number: str | None = Field(None, description="for `number`: the digits read", examples=[None])
    digits: list[DigitRead] = Field(description="each digit read, left to right, with its box")
    reasons: list[str] = Field(default_factory=list, description="why it is what it is")
    left_out: list[LeftOutMark] = Field(
        default_factory=list,
        description="every mark that could have been part of the answer and is not read, "
        "with its box and why: the stray marks among `digits`, then marks away from the "
        "digits, largest first (at most 12 of those); specks (a side under a quarter of "
        "the tallest digit's height) are not listed",
    )
    model_input: list[list[float]] | None = Field(None, description=MODEL_INPUT)


class Timings(BaseModel):
    preprocess_ms: float = Field(
        description="decoding and reading the digits (each made an MNIST field), all images"
    )
    inference_ms: float = Field(description="the Predict call to the model server")


class PredictionResponse(BaseModel):
    model_name: str = Field(examples=["mnist"])
    model_version: int = Field(description="the version that answered", examples=[1])
    role: str | None = Field(
        default=None,
        description="how the request was routed: stable, canary (a rollout's split), pinned "
        "(?version= or ?label=), unmanaged (no rollout state)",
        examples=["stable"],
    )
    request_id: str = Field(description="also in the X-Request-ID header")
    predictions: list[ImagePrediction] = Field(description="one per image, in upload order")
    timings: Timings


class ErrorDetail(BaseModel):
    code: str = Field(examples=["image_too_large"])
    message: str = Field(examples=["image is 8000×8000 = 64,000,000 pixels, over the pixel limit"])


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    model_name: str
    available_versions: list[int]


class TensorInfo(BaseModel):
    dtype: str = Field(examples=["float"])
    shape: list[int] | None = Field(description="-1 for a free dimension; null if unknown rank")


class SignatureInfo(BaseModel):
    method_name: str
    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]


class VersionInfo(BaseModel):
    version: int
    state: str = Field(examples=["AVAILABLE"])
    error: str | None = Field(None, description="why the version failed to load")
    labels: list[str] = Field(default_factory=list, examples=[["stable"]])
    signatures: dict[str, SignatureInfo] | None = Field(
        None, description="for AVAILABLE versions, from GetModelMetadata"
    )


class ModelsResponse(BaseModel):
    model_name: str
    versions: list[VersionInfo]
