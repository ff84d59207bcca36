"""Liveness and metrics.

`/metrics` reveals request and offer volumes, so it is never public: it is off (404) unless
`PEERHAVEN_METRICS_TOKEN` is set, and then answers only `Authorization: Bearer <that token>`.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from server.api.deps import StateDep, bearer_credentials
from server.errors import NotFound, Unauthenticated

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Readiness: the database answers")
async def healthz(state: StateDep) -> JSONResponse:
    try:
        async with state.db.engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        log.warning("health check failed: %s", type(exc).__name__)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok"})


# Not in the OpenAPI document: a scraper's endpoint, not part of the API (docs/operations.md).
@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(
    state: StateDep, token: Annotated[str | None, Depends(bearer_credentials)]
) -> Response:
    expected = state.settings.metrics_token
    if expected is None:
        raise NotFound("no such resource")
    if token is None or not hmac.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    ):
        raise Unauthenticated("/metrics needs the metrics bearer token")
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
