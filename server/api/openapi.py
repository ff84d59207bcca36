"""The OpenAPI document, with every error response the server sends declared as RFC 9457
problem details (`application/problem+json`, one `ProblemDetails` schema).

FastAPI declares only 422 `HTTPValidationError`, which the server never sends
(`server.api.problems` answers every error as problem details). Which errors an operation can
answer is derived from the route itself, so the document cannot drift from the code:

* 401 when the route needs a bearer token, 403 when it admits only some roles (`RequireRole`);
* 404 when the path names a resource by id; 409 for every operation that changes state;
* 413 and 422 when it takes a body (422 also for parameters); 429 behind a rate limit
  (a dependency carrying `problem_statuses`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from server.api.problems import MEDIA_TYPE
from server.api.schemas import ProblemDetails

__all__ = ["install_openapi"]

_DESCRIPTIONS = {
    401: "No, unknown, expired or revoked bearer token",
    403: "Authenticated, but this role may not use this route",
    404: "No such resource, or one the caller may not see",
    409: "The current state does not allow this",
    413: "Request body over the size limit",
    422: "Malformed or unacceptable input (the answer never quotes it)",
    429: "Rate limited; see Retry-After",
    503: "Another node could not be reached; nothing was changed, try again",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
}
_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _statuses(route: APIRoute, method: str) -> set[int]:
    statuses: set[int] = set()
    for call in _calls(route.dependant):
        statuses.update(getattr(call, "problem_statuses", ()))
    if route.dependant.path_params:
        statuses.update({404, 422})
    if route.dependant.query_params or route.dependant.header_params:
        statuses.add(422)
    if route.dependant.body_params:
        statuses.update({413, 422})
    if method in _CHANGES and route.dependant.path_params:
        statuses.add(409)
    statuses.update(getattr(route.endpoint, "problem_statuses", ()))
    return statuses


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(path in the document, route) for every documented route, included routers too."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and context.path_format:
            yield context.path_format, route


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document for `app`, errors declared as problem details."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas["ProblemDetails"] = schema
    for path, route in _routes(app):
        operations = document["paths"].get(path, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in sorted(_statuses(route, method)):
                responses[str(status)] = _problem_response(status)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve `build_openapi(app)` (built once, on first request) at /openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
