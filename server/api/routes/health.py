"""Liveness and metrics."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from server.api.deps import StateDep

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


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(state: StateDep) -> Response:
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
