"""Response bodies of the gateway's routes (no protobuf field reaches a client)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DigitPrediction(BaseModel):
    digit: int = Field(ge=0, le=9, examples=[7])
    confidence: float = Field(ge=0, le=1, description="probability of `digit`", examples=[0.993])
    probabilities: list[float] = Field(
        min_length=10, max_length=10, description="probability of each digit 0..9"
    )
    model_input: list[list[float]] | None = Field(
        None, description="the 28×28 image the model saw (with ?include_input=true)"
    )


class Timings(BaseModel):
    preprocess_ms: float = Field(description="decoding and MNIST-style preprocessing")
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
    predictions: list[DigitPrediction] = Field(description="one per image, in upload order")
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
