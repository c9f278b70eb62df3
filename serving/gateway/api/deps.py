"""Typed dependencies of the routes: `AppSettings`, `Predictor` (the app's PredictorClient),
`Preprocessor` (its pool and limits), `RequestId` and `Selector` (the `version` or `label`
query parameter), `AppRollout` (the worker's rollout.Rollout) and `RolloutRoute` (where this
/predict goes: the selector, or the rollout's split by client).

All `async def`: FastAPI runs a plain `def` dependency in the threadpool, a thread hop per
dependency per request that cost more CPU than everything these functions do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from serving.gateway.errors import BadVersionSelector, ClientIdTooLong
from serving.gateway.pool import Preprocessing
from serving.gateway.predictor import PredictorClient, VersionSelector
from serving.gateway.rollout import Rollout, Route
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


async def get_rollout(request: Request) -> Rollout:
    return request.app.state.rollout


def client_id(request: Request, limit: int) -> str:
    """The split's key: X-Client-ID when sent, else the client's address."""
    sent = request.headers.get("x-client-id")
    if sent is None:
        return request.client.host if request.client else ""
    if len(sent.encode("latin-1", "replace")) > limit:
        raise ClientIdTooLong(
            f"X-Client-ID is {len(sent):,} bytes, over the limit of {limit:,} bytes "
            "(GATEWAY_MAX_CLIENT_ID_BYTES)"
        )
    return sent


async def get_route(
    request: Request,
    selector: Annotated[VersionSelector, Depends(get_version_selector)],
    rollout: Annotated[Rollout, Depends(get_rollout)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> Route:
    if not rollout.needs_client_id(selector):
        return rollout.route(selector)
    return rollout.route(selector, client_id(request, settings.max_client_id_bytes))


AppSettings = Annotated[Settings, Depends(get_app_settings)]
Predictor = Annotated[PredictorClient, Depends(get_predictor)]
Preprocessor = Annotated[Preprocessing, Depends(get_preprocessing)]
RequestId = Annotated[str, Depends(get_request_id)]
Selector = Annotated[VersionSelector, Depends(get_version_selector)]
AppRollout = Annotated[Rollout, Depends(get_rollout)]
RolloutRoute = Annotated[Route, Depends(get_route)]
