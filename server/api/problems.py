"""RFC 9457 problem details for every error the HTTP API returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from server.api.schemas import PATTERN_MESSAGES
from server.errors import RateLimited, ServiceError

__all__ = ["install_problem_handlers", "problem_response"]

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def _problem(
    status: int, title: str, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_response(error: ServiceError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    if error.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return _problem(error.status, error.title, error.detail, headers=headers)


# Pydantic messages that quote part of the input (a character of a bad UUID, ...).
_SAFE_MESSAGES = {
    "uuid_parsing": "Input should be a valid UUID",
    "uuid_type": "Input should be a valid UUID",
    "url_parsing": "Input should be a valid URL",
}


def _location(error: Mapping[str, Any]) -> str:
    parts = [str(part) for part in error["loc"] if part != "body"]
    if error["type"] == "extra_forbidden" and parts:
        parts[-1] = "(unknown field)"  # the name is the caller's input
    return ".".join(parts) or "body"


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    if error["type"] == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        message = PATTERN_MESSAGES.get(str(pattern), "not in the expected format")
    value = error.get("input")
    if isinstance(value, str) and len(value) >= 3 and value in message:
        return "Invalid value"
    return _SAFE_MESSAGES.get(str(error["type"]), message)


async def _on_service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return problem_response(exc)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Input values are deliberately not echoed: they may hold keys or tokens.
    errors = [{"field": _location(e), "message": _message(e)} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return _problem(422, "Invalid request", detail, errors=errors)


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route = context.original_route
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(request.url.path):
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot read as JSON text (e.g. invalid UTF-8).
        return _problem(422, "Invalid request", "body: not valid JSON")
    titles = {
        401: "Not authenticated",
        404: "Not found",
        405: "Method not allowed",
        413: "Payload too large",
    }
    title = titles.get(exc.status_code, "Error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return _problem(exc.status_code, title, str(exc.detail), headers=headers or None)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Log the type and route only: exception messages can carry request data.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return _problem(500, "Internal error", "the server failed to handle this request")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
