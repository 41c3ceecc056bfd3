"""Landed files and their life cycle: list them with their state and error, retry one, or
name the later file that replaces it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, require
from api.errors import error_responses
from api.schemas.common import Id, ListParams, Page, UtcDateTime, text
from healthai.access import Principal
from healthai.models import RawFile
from healthai.models.vocab import FILE_STATES
from healthai.pipeline import runs
from healthai.queries.listing import page

router = APIRouter(prefix="/files", tags=["files"], responses=error_responses(401, 403, 422))
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="File id.")]
FileStateName = Literal[FILE_STATES]  # type: ignore[valid-type]


class FileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source_id: int
    original_name: str = Field(description="The name of the file as it was dropped.")
    sha256: str
    size_bytes: int
    state: str = Field(
        examples=["failed"],
        description="Its life-cycle state (docs/pipeline.md): received, read, validated, "
        "staged, audited, approved, published, settled (nothing to publish), refused, "
        "failed, rejected or rolled_back.",
    )
    state_at: UtcDateTime | None
    state_by: str | None
    error: str | None = Field(description="Why it failed or was refused.")
    run_id: int | None = Field(description="The ingestion run that last took it up.")
    replaced_by_id: int | None = Field(
        description="The later file of its source a steward named as its replacement."
    )
    created_at: UtcDateTime


class FileParams(ListParams):
    state: FileStateName | None = None
    source_id: Id | None = None
    sort: Literal["id", "-id", "created_at", "-created_at", "state", "-state"] | None = None


class Retry(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "encoding fixed"}]}
    )
    comment: text(2000) | None = None  # type: ignore[valid-type]


class Replace(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"by": 42, "comment": "corrected export"}]},
    )
    by: Id = Field(description="The later file of the same source that takes its place.")
    comment: text(2000) | None = None  # type: ignore[valid-type]


def _read(rf: RawFile) -> dict[str, Any]:
    return {k: getattr(rf, k) for k in FileRead.model_fields}


@router.get(
    "",
    response_model=Page[FileRead],
    summary="List landed files",
    description="Every file (or API response) the pipeline received, with its state and, for "
    "a failed or refused one, its error; newest first unless sorted otherwise. Requires "
    "`batches:read`.",
)
def list_files(
    session: SessionDep,
    params: Annotated[FileParams, Query()],
    principal: Annotated[Principal, require("batches:read")],
) -> Any:
    rows, total, exact = page(
        session, RawFile, params.filters(), params.sort or "-id", params.limit, params.offset
    )
    return {
        "data": [_read(r) for r in rows],
        "count": total,
        "count_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/{file_id}/retry",
    response_model=FileRead,
    summary="Retry a file",
    description="Hands a failed or refused file (once its cause is fixed), or a rejected or "
    "rolled-back one (to ingest it again), back to the pipeline: it waits in `received` and "
    "the next run of its source reads it again. Whatever its last run left half done is "
    "undone; rows a rejection put in quarantine are discarded (the file brings them again). "
    "409 from any other state, naming it. Requires `batches:decide`.",
    responses=error_responses(404, 409),
)
def retry(
    file_id: IdPath,
    session: SessionDep,
    principal: Annotated[Principal, require("batches:decide")],
    body: Retry | None = None,
) -> Any:
    rf = runs.retry(session, file_id, principal.actor, body.comment if body else None)
    out = _read(rf)
    session.commit()
    return out


@router.post(
    "/{file_id}/replace",
    response_model=FileRead,
    summary="Replace a file",
    description="Names a later file of the same source (a corrected export dropped in the "
    "landing zone) as the replacement of a failed, refused, rejected or rolled-back file: the "
    "file becomes `replaced` and no longer waits for anyone. Whatever its last run left half "
    "done is undone; rows a rejection put in quarantine are discarded (the replacement brings "
    "its own). 409 from any other state, naming it; 422 when `by` is not a later file of the "
    "same source. Requires `batches:decide`.",
    responses=error_responses(404, 409),
)
def replace(
    file_id: IdPath,
    body: Replace,
    session: SessionDep,
    principal: Annotated[Principal, require("batches:decide")],
) -> Any:
    try:
        rf = runs.replace(session, file_id, body.by, principal.actor, body.comment)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    out = _read(rf)
    session.commit()
    return out
