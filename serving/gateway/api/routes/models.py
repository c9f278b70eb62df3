"""GET /v1/models: versions, their states, labels and signatures."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from serving.gateway.api.deps import AppSettings, Predictor
from serving.gateway.errors import ModelNotFound, UpstreamRejected
from serving.gateway.predictor import ModelMetadata, PredictorClient, VersionSelector
from serving.gateway.schemas import (
    ErrorResponse,
    ModelsResponse,
    SignatureInfo,
    TensorInfo,
    VersionInfo,
)

router = APIRouter(tags=["models"])


async def label_versions(predictor: PredictorClient, labels: tuple[str, ...]) -> dict[str, int]:
    """Resolve the known labels (TF Serving cannot list them; unknown ones are skipped)."""

    async def resolve(label: str) -> int | None:
        try:
            return (await predictor.metadata(VersionSelector(label=label))).version
        except (ModelNotFound, UpstreamRejected):
            return None

    versions = await asyncio.gather(*(resolve(label) for label in labels))
    return {label: v for label, v in zip(labels, versions, strict=True) if v is not None}


def signatures(metadata: ModelMetadata) -> dict[str, SignatureInfo]:
    return {
        name: SignatureInfo(
            method_name=sig.method_name,
            inputs={k: TensorInfo(dtype=t.dtype, shape=t.shape) for k, t in sig.inputs.items()},
            outputs={k: TensorInfo(dtype=t.dtype, shape=t.shape) for k, t in sig.outputs.items()},
        )
        for name, sig in metadata.signatures.items()
        if not name.startswith("__")  # SavedModel internals such as __saved_model_init_op
    }


@router.get(
    "/v1/models",
    response_model=ModelsResponse,
    responses={503: {"model": ErrorResponse}, 504: {"model": ErrorResponse}},
)
async def list_versions(predictor: Predictor, settings: AppSettings) -> ModelsResponse:
    statuses = await predictor.model_status()
    available = [s.version for s in statuses if s.state == "AVAILABLE"]
    metadata, labels = await asyncio.gather(
        asyncio.gather(*(predictor.metadata(VersionSelector(version=v)) for v in available)),
        label_versions(predictor, settings.known_labels),
    )
    by_version = {m.version: m for m in metadata}
    return ModelsResponse(
        model_name=predictor.model_name,
        versions=[
            VersionInfo(
                version=s.version,
                state=s.state,
                error=s.error,
                labels=sorted(label for label, v in labels.items() if v == s.version),
                signatures=signatures(by_version[s.version]) if s.version in by_version else None,
            )
            for s in statuses
        ],
    )
