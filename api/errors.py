"""Every error as RFC 9457 `application/problem+json`, including validation (422, at most
`MAX_REPORTED_ERRORS` of them), unknown routes (404), wrong methods (405), pipeline errors,
database refusals, and a database that cannot answer now (503 with `Retry-After`: down,
unreachable, busy or locked, read-only); never a 500 with a stack trace."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from healthai.db import unavailable
from healthai.pipeline.errors import (
    BatchInUseError,
    BatchStateError,
    ContractError,
    FourEyesError,
    NotFoundError,
    PipelineError,
)

PROBLEM = "application/problem+json"
log = logging.getLogger("healthai.api")
MAX_REPORTED_ERRORS = 20  # validation errors listed in a 422 (the count says how many in all)
RETRY_AFTER_S = 5  # what a 503 asks the client to wait
HTTP_METHODS_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
HTTP_METHODS = {m.lower() for m in HTTP_METHODS_ORDER}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["food 42 does not exist"])
    instance: str | None = Field(default=None, examples=["/foods/42"])
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Validation errors: location, message, type."
    )


def problem(
    status: int,
    detail: str | None = None,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def error_descriptions() -> dict[int, str]:
    """What each error status means, the same for every route."""
    return {
        400: "The request cannot be read: a body that is not valid JSON (or form data), an "
        "invalid `Content-Length`.",
        401: "Missing, invalid or expired credentials.",
        403: "Authenticated, but this role may not do this.",
        404: "No such resource (or not visible to this caller).",
        409: "Conflicts with the current state: a duplicate key, a referenced row that does not "
        "exist (or a row still referenced), a batch in another status, a row in use.",
        413: "The request body is larger than the API accepts (MAX_REQUEST_BODY_BYTES).",
        414: "The URI is longer than the API accepts (MAX_REQUEST_HEADER_BYTES).",
        422: "Invalid input: the `errors` member says which field and why (at most "
        f"{MAX_REPORTED_ERRORS}).",
        429: "Too many attempts: retry after the delay in `Retry-After`.",
        431: "The request's headers are larger than the API accepts (MAX_REQUEST_HEADER_BYTES).",
        503: "The database cannot answer now (down, busy or read-only): retry after the delay "
        "in `Retry-After`.",
    }


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = error_descriptions()
    return {c: {"model": Problem, "description": descriptions[c]} for c in codes}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error codes of a route. The codes any route can
    answer (400, 413, 414, 431, 503; 401/403 when authenticated; 422 with parameters) are
    added to every operation by `api.documentation`."""
    return _responses(*codes)


PIPELINE_STATUS: list[tuple[type[PipelineError], int]] = [
    (NotFoundError, 404),
    (FourEyesError, 403),
    (BatchStateError, 409),
    (BatchInUseError, 409),
    (ContractError, 422),
]


def _integrity_status(exc: IntegrityError) -> tuple[int, str]:
    text = str(exc.orig).lower()
    code = getattr(exc.orig, "sqlstate", None)
    if code == "23505" or "unique" in text:
        return 409, "a row with the same unique key already exists"
    if code == "23503" or "foreign key" in text:
        # a well-formed request that the current rows refuse: a conflict with the state
        return 409, "a referenced row does not exist (or is still referenced)"
    return 422, "the database refused the values (a constraint is broken)"


def allowed_methods(request: Request, default: str = "") -> str:
    """Every method of the request's path as the OpenAPI document lists them (HEAD with GET);
    `default` (Starlette's answer) for a path the document does not list."""
    app = request.app
    table = getattr(app.state, "allowed_methods", None)
    if table is None:
        table = []
        for template, item in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            methods = {m.upper() for m in item if m in HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")
            ordered = sorted(methods, key=HTTP_METHODS_ORDER.index)
            table.append((re.compile(pattern), ", ".join(ordered)))
        app.state.allowed_methods = table
    path = request.url.path
    return next((methods for pattern, methods in table if pattern.fullmatch(path)), default)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route matching the path (one
            # route per method here): `Allow` lists every method of the path.
            headers["Allow"] = allowed_methods(request, headers.get("Allow", ""))
            detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
        return problem(exc.status_code, detail, request, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        errors = [
            {
                "loc": [str(p)[:200] for p in e.get("loc", ())][:10],
                "msg": str(e.get("msg", ""))[:500],
                "type": e.get("type", ""),
            }
            for e in found[:MAX_REPORTED_ERRORS]
        ]
        detail = "the request is invalid: see `errors`"
        if len(found) > MAX_REPORTED_ERRORS:
            detail += f" (the first {MAX_REPORTED_ERRORS} of {len(found)})"
        return problem(422, detail, request, errors=jsonable_encoder(errors))

    @app.exception_handler(PipelineError)
    async def _pipeline(request: Request, exc: PipelineError) -> JSONResponse:
        status = next((s for cls, s in PIPELINE_STATUS if isinstance(exc, cls)), 409)
        return problem(status, str(exc), request)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        status, detail = _integrity_status(exc)
        return problem(status, detail, request)

    @app.exception_handler(DataError)
    async def _dbapi(request: Request, exc: DataError) -> JSONResponse:
        # Values the database cannot represent (out-of-range integers, NUL bytes...).
        log.warning("database refused a request: %s", exc.orig)
        return problem(422, "the database cannot store or compare these values", request)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeoutError)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not unavailable(exc):
            return await _unexpected(request, exc)
        log.warning("database unavailable on %s: %s", request.url.path, exc)
        return problem(
            503,
            "the database cannot answer now; retry in a few seconds",
            request,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        return problem(500, "an unexpected error occurred; it has been logged", request)
