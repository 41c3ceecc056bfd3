"""Quarantine: rows that broke a rule, kept whole with their reasons; correct or discard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request

from api.deps import SessionDep, require
from api.errors import error_responses
from api.schemas.common import Page
from api.schemas.pipeline import (
    BulkCorrection,
    BulkPreview,
    BulkPreviewRequest,
    BulkResult,
    Correction,
    CorrectionResult,
    Decision,
    Facets,
    LineCorrection,
    LineRead,
    QuarantinedRead,
    QuarantineParams,
    SelectedPage,
    SelectionPage,
    SelectionParams,
)
from healthai import access
from healthai.access import Principal
from healthai.models import QuarantinedRow
from healthai.pipeline import corrections as bulk
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
    access.log_personal_read(
        session, principal, "quarantined_rows", request.url.path, {"rows": len(rows)}
    )
    return {
        "data": rows,
        "count": total,
        "count_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
    }


def _selection(params: SelectionParams) -> bulk.Selection:
    return bulk.Selection(
        source=params.source, rule=params.rule, column=params.column, run_id=params.run_id
    )


def _fix(body: BulkPreviewRequest) -> bulk.BulkFix:
    return bulk.BulkFix(
        column=body.fix.column, mode=body.fix.mode, value=body.fix.value, mapping=body.fix.mapping
    )


@router.get(
    "/selection",
    response_model=SelectedPage,
    summary="Open rows by source, defect and file",
    description="A page of the open quarantined rows of a source, with a defect (the rule "
    "and column a reason names) and from a file (ingestion run), oldest first, and how many "
    "there are in all. Requires `quarantine:read`; logged as personal-data access.",
)
def selection(
    request: Request,
    session: SessionDep,
    params: Annotated[SelectionPage, Query()],
    principal: Annotated[Principal, require("quarantine:read")],
) -> Any:
    rows, total = bulk.list_rows(session, _selection(params), params.limit, params.offset)
    access.log_personal_read(
        session, principal, "quarantined_rows", request.url.path, {"rows": len(rows)}
    )
    return {"data": rows, "count": total}


@router.get(
    "/facets",
    response_model=Facets,
    summary="What the open rows can be narrowed to",
    description="Open rows per source, per defect (rule and column) and per file, for the "
    "selection given (each list ignores its own filter). Requires `quarantine:read`.",
)
def facets(
    session: SessionDep,
    params: Annotated[SelectionParams, Query()],
    _principal: Annotated[Principal, require("quarantine:read")],
) -> Any:
    return bulk.facets(session, _selection(params))


@router.post(
    "/bulk/preview",
    response_model=BulkPreview,
    summary="Preview a bulk fix",
    description="What the fix would do to the selected rows of one source: how many it "
    "touches, how many would pass their contract, and a sample of values before and after. "
    "Nothing is written but the read: its sample shows raw values, so it is logged as "
    "personal-data access. Requires `quarantine:correct`.",
    responses=error_responses(409),
)
def bulk_preview(
    request: Request,
    body: BulkPreviewRequest,
    session: SessionDep,
    principal: Annotated[Principal, require("quarantine:correct")],
) -> Any:
    p = bulk.preview(session, _selection(body.selection), _fix(body))
    session.rollback()
    access.log_personal_read(
        session, principal, "quarantined_rows", request.url.path, {"rows": len(p.rows)}
    )
    return p


@router.post(
    "/bulk/correct",
    response_model=BulkResult,
    summary="Apply a bulk fix",
    description="Applies the fix to every selected row it touches, like single corrections: "
    "revalidated, the valid rows re-queued in new audited batches (one per file) that someone "
    "else must approve, each change in the audit log; refused rows stay as they were. "
    "`expected` is the number of rows the preview said the fix touches: 409 when the "
    "selection changed since. Requires `quarantine:correct`.",
    responses=error_responses(409),
)
def bulk_correct(
    body: BulkCorrection,
    session: SessionDep,
    principal: Annotated[Principal, require("quarantine:correct")],
) -> Any:
    result = bulk.apply(
        session,
        _selection(body.selection),
        _fix(body),
        principal.actor,
        body.comment,
        expected=body.expected,
    )
    session.commit()
    return {
        "valid": result.valid,
        "accepted": result.accepted,
        "refused": result.reasons,
        "requeued_batch_ids": result.requeued_batch_ids,
    }


@router.get(
    "/{row_id}/line",
    response_model=LineRead,
    summary="The text of a malformed line",
    description="A CSV line the reader could not split into its file's columns, as read. "
    "Requires `quarantine:read`.",
    responses=error_responses(404, 409),
)
def line(
    row_id: IdPath,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("quarantine:read")],
) -> Any:
    text = bulk.line_text(session, row_id)
    access.log_personal_read(
        session, principal, "quarantined_rows", request.url.path, {"id": row_id}
    )
    return {"row_id": row_id, "line": text}


@router.post(
    "/{row_id}/correct-line",
    response_model=CorrectionResult,
    summary="Correct a malformed line",
    description="The corrected line (e.g. a value holding the delimiter put between double "
    "quotes) is cut with its file's delimiter and header, then revalidated and re-queued like "
    "any correction. 422 when it still has another number of fields than the header. "
    "Requires `quarantine:correct`.",
    responses=error_responses(404, 409),
)
def correct_line(
    row_id: IdPath,
    body: LineCorrection,
    session: SessionDep,
    principal: Annotated[Principal, require("quarantine:correct")],
) -> Any:
    result = bulk.correct_line(session, row_id, body.line, principal.actor, body.comment)
    session.commit()
    return {
        "valid": result.valid,
        "reasons": result.reasons.get(row_id, []),
        "requeued_batch_id": result.requeued_batch_id,
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
    access.log_personal_read(
        session, principal, "quarantined_rows", request.url.path, {"id": row_id}
    )
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
