"""Batches: list, detail with checks and sample rows, approve, reject, publish, roll back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.encoders import jsonable_encoder

from api.deps import SessionDep, require
from api.errors import error_responses
from api.schemas.common import Page
from api.schemas.pipeline import BatchDetail, BatchParams, BatchRead, Decision, Rejection
from healthai import access
from healthai.access import Principal
from healthai.models import Batch
from healthai.pipeline import batches as flow
from healthai.queries.listing import page

router = APIRouter(prefix="/batches", tags=["batches"], responses=error_responses(401, 403, 422))
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="Batch id.")]


def _read(batch: Batch) -> dict[str, Any]:
    return {
        **{k: getattr(batch, k) for k in BatchRead.model_fields if k != "source"},
        "source": batch.source.name if batch.source else "",
    }


@router.get(
    "",
    response_model=Page[BatchRead],
    summary="List batches",
    description="Newest first unless sorted otherwise. Requires `batches:read`.",
)
def list_batches(
    session: SessionDep,
    params: Annotated[BatchParams, Query()],
    principal: Annotated[Principal, require("batches:read")],
) -> Any:
    rows, total, exact = page(
        session, Batch, params.filters(), params.sort or "-id", params.limit, params.offset
    )
    return {
        "data": [_read(b) for b in rows],
        "count": total,
        "count_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.get(
    "/{batch_id}",
    response_model=BatchDetail,
    summary="Batch detail",
    description="The batch, every audit check's result, and sample rows per table. Requires "
    "`batches:read`; sample rows of tables about people only for a caller who may read "
    "people's data (`people:read`), and that read is logged as personal-data access.",
    responses=error_responses(404),
)
def get_batch(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("batches:read")],
    sample: Annotated[int, Query(ge=0, le=50, description="Rows per table.")] = 5,
) -> Any:
    batch = flow.get_batch(session, batch_id)
    samples: dict[str, list[dict[str, Any]]] = {}
    if sample:
        people = "people:read" in principal.scopes
        samples = jsonable_encoder(flow.batch_samples(session, batch, sample, people))
        if samples:
            access.log_personal_read(
                session,
                principal,
                "batches",
                request.url.path,
                {"id": batch_id, "tables": sorted(samples)},
            )
    return {**_read(batch), "checks": list(batch.checks), "samples": samples}


@router.post(
    "/{batch_id}/approve",
    response_model=BatchRead,
    summary="Approve an audited batch",
    description="Requires `batches:decide`. 409 when the batch is not audited; 403 when the "
    "caller corrected rows of this batch (four eyes).",
    responses=error_responses(404, 409),
)
def approve(
    batch_id: IdPath,
    session: SessionDep,
    principal: Annotated[Principal, require("batches:decide")],
    body: Decision | None = None,
) -> Any:
    batch = flow.approve(session, batch_id, principal.actor, body.comment if body else None)
    session.commit()
    return _read(batch)


@router.post(
    "/{batch_id}/reject",
    response_model=BatchRead,
    summary="Reject a batch",
    description="Requires `batches:decide` and a comment saying why; the batch's records go "
    "to quarantine with that reason.",
    responses=error_responses(404, 409),
)
def reject(
    batch_id: IdPath,
    body: Rejection,
    session: SessionDep,
    principal: Annotated[Principal, require("batches:decide")],
) -> Any:
    if not body.comment.strip():
        raise HTTPException(status_code=422, detail="a rejection needs a comment saying why")
    batch = flow.reject(session, batch_id, principal.actor, body.comment)
    session.commit()
    return _read(batch)


@router.post(
    "/{batch_id}/publish",
    response_model=BatchRead,
    summary="Publish an approved batch",
    description="Moves every staged row into the published tables in one transaction. "
    "Requires `batches:decide`.",
    responses=error_responses(404, 409),
)
def publish(
    batch_id: IdPath,
    session: SessionDep,
    principal: Annotated[Principal, require("batches:decide")],
) -> Any:
    batch = flow.publish(session, batch_id, principal.actor)
    session.commit()
    return _read(batch)


@router.post(
    "/{batch_id}/rollback",
    response_model=BatchRead,
    summary="Roll back a published batch",
    description="Removes exactly the rows the batch brought. 409 while rows of other batches "
    "reference them. Requires `batches:decide`.",
    responses=error_responses(404, 409),
)
def rollback(
    batch_id: IdPath,
    session: SessionDep,
    principal: Annotated[Principal, require("batches:decide")],
    body: Decision | None = None,
) -> Any:
    batch = flow.rollback(session, batch_id, principal.actor, body.comment if body else None)
    session.commit()
    return _read(batch)
