"""Typed dependencies of the routes: `AppSettings`, `Predictor` (the app's PredictorClient),
`Preprocessor` (its pool and limits), `RequestId` and `Selector` (the `version` or `label`
query parameter).

All `async def`: FastAPI runs a plain `def` dependency in the threadpool, a thread hop per
dependency per request that cost more CPU than everything these functions do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from serving.gateway.errors import BadVersionSelector
from serving.gateway.pool import Preprocessing
from serving.gateway.predictor import PredictorClient, VersionSelector
from serving.gateway.settings import Settings

MAX_VERSION = 2**63 - 1  # TF Serving's versions are int64


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_predictor(request: Request) -> PredictorClient:
    return request.app.state.predictor


async def get_preprocessing(request: Request) -> Preprocessing:
    return request.app.state.preprocessing


async def get_request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "")


async def get_version_selector(
    version: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="pin a model version")
    ] = None,
    label: Annotated[
        str | None, Query(min_length=1, max_length=64, description="pin a version label")
    ] = None,
) -> VersionSelector:
    if version is not None and label is not None:
        raise BadVersionSelector("give either `version` or `label`, not both")
    return VersionSelector(version=version, label=label)


AppSettings = Annotated[Settings, Depends(get_app_settings)]
Predictor = Annotated[PredictorClient, Depends(get_predictor)]
Preprocessor = Annotated[Preprocessing, Depends(get_preprocessing)]
RequestId = Annotated[str, Depends(get_request_id)]
Selector = Annotated[VersionSelector, Depends(get_version_selector)]
