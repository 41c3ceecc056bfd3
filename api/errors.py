"""Every error as RFC 9457 `application/problem+json`, including validation (422), unknown
routes (404), wrong methods (405), pipeline errors and database refusals; never a 500 with a
stack trace."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Bad request.",
        401: "Missing, invalid or expired credentials.",
        403: "Authenticated, but this role may not do this.",
        404: "No such resource (or not visible to this caller).",
        409: "Conflicts with the current state (duplicate, wrong batch status, in use).",
        422: "Invalid input: the `errors` member says which field and why.",
        429: "Too many attempts: retry after the delay in `Retry-After`.",
    }
    return {c: {"model": Problem, "description": descriptions[c]} for c in codes}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error codes (401/403/422 are added to every
    authenticated route by default)."""
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
        return 422, "a referenced row does not exist (or is still referenced)"
    return 422, "the database refused the values (a constraint is broken)"


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem(exc.status_code, detail, request, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        return problem(
            422, "the request is invalid: see `errors`", request, errors=jsonable_encoder(errors)
        )

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return problem(500, "an unexpected error occurred; it has been logged", request)
