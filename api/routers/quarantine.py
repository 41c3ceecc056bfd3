"""Quarantine: rows that broke a rule, kept whole with their reasons; correct or discard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request

from api.deps import SessionDep, log_personal_read, require
from api.errors import error_responses
from api.schemas.common import Page
from api.schemas.pipeline import (
    Correction,
    CorrectionResult,
    Decision,
    QuarantinedRead,
    QuarantineParams,
)
from api.security import Principal
from healthai.models import QuarantinedRow
from healthai.pipeline import quarantine as q
from healthai.queries.listing import page

router = APIRouter(
    prefix="/quarantine", tags=["quarantine"], responses=error_responses(401, 403, 422)
)
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="Quarantined row id.")]


@router.get(
    "",
    response_model=Page[QuarantinedRead],
    summary="List quarantined rows",
    description="Requires `quarantine:read`; logged as personal-data access.",
)
def list_rows(
    request: Request,
    session: SessionDep,
    params: Annotated[QuarantineParams, Query()],
    principal: Annotated[Principal, require("quarantine:read")],
) -> Any:
    rows, total, exact = page(
        session, QuarantinedRow, params.filters(), params.sort, params.limit, params.offset
    )
    log_personal_read(session, principal, request, "quarantined_rows", {"rows": len(rows)})
    return {
        "data": rows,
        "count": total,
        "count_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.get(
    "/{row_id}",
    response_model=QuarantinedRead,
    summary="One quarantined row",
    description="The untouched source row and every reason it was refused. Requires "
    "`quarantine:read`.",
    responses=error_responses(404),
)
def get_row(
    row_id: IdPath,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("quarantine:read")],
) -> Any:
    row = session.get(QuarantinedRow, row_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"quarantined row {row_id} does not exist")
    log_personal_read(session, principal, request, "quarantined_rows", {"id": row_id})
    return row


@router.post(
    "/{row_id}/correct",
    response_model=CorrectionResult,
    summary="Correct a quarantined row",
    description="Applies `changes` to the source row and revalidates it on the spot. Valid: "
    "it is re-queued in a new audited batch that someone else must approve (four eyes). "
    "Not valid: nothing changes and the remaining reasons are returned. Every correction is in "
    "the audit log. Requires `quarantine:correct`.",
    responses=error_responses(404, 409),
)
def correct(
    row_id: IdPath,
    body: Correction,
    session: SessionDep,
    principal: Annotated[Principal, require("quarantine:correct")],
) -> Any:
    result = q.correct(session, row_id, dict(body.changes), principal.actor, body.comment)
    session.commit()
    reasons = result.reasons.get(row_id, []) if isinstance(result.reasons, dict) else []
    return {
        "valid": result.valid,
        "reasons": reasons,
        "requeued_batch_id": result.requeued_batch_id,
    }


@router.post(
    "/{row_id}/discard",
    response_model=QuarantinedRead,
    summary="Discard a quarantined row",
    description="Closes the row for good (kept, counted, with who and why). Requires "
    "`quarantine:correct`.",
    responses=error_responses(404, 409),
)
def discard(
    row_id: IdPath,
    session: SessionDep,
    principal: Annotated[Principal, require("quarantine:correct")],
    body: Decision | None = None,
) -> Any:
    row = q.discard(session, row_id, principal.actor, body.comment if body else None)
    session.commit()
    return row
