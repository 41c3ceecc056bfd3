"""Liveness and readiness (public: no data, no credentials)."""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from healthai.migrate import alembic_config

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Ready(BaseModel):
    status: str = Field(examples=["ready"])
    database: bool
    revision: str | None = Field(examples=["0002"])
    head: str | None = Field(examples=["0002"])


@router.get(
    "/health", response_model=Health, summary="Liveness", description="The process answers. Public."
)
def health() -> Any:
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=Ready,
    summary="Readiness",
    description="The database answers and its schema is at the migrations' head; 503 otherwise. "
    "Public.",
    responses={503: {"model": Ready, "description": "Not ready."}},
)
def ready(request: Request) -> Any:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    head = heads[0] if len(heads) == 1 else None
    revision, database = None, False
    try:
        with request.app.state.engine.connect() as conn:
            revision = conn.execute(
                text("SELECT version_num FROM healthai_alembic_version")
            ).scalar()
            database = True
    except Exception:  # noqa: BLE001 - not ready, whatever the reason
        pass
    ok = database and revision is not None and revision == head
    body = {
        "status": "ready" if ok else "not ready",
        "database": database,
        "revision": revision,
        "head": head,
    }
    return body if ok else JSONResponse(body, status_code=503)
