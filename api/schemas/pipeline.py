"""Batches, their checks and decisions; quarantined rows and their corrections."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Id, Input, ListParams, QueryInput, UtcDateTime, text
from healthai.models.vocab import BATCH_STATUSES, QUARANTINE_STATUSES

BatchStatus = Literal[BATCH_STATUSES]  # type: ignore[valid-type]
QuarantineStatus = Literal[QUARANTINE_STATUSES]  # type: ignore[valid-type]


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source_id: int
    source: str = Field(description="Source name.")
    run_id: int | None
    status: str = Field(examples=["audited"])
    rows_staged: int
    rows_by_table: dict[str, Any]
    created_at: UtcDateTime
    audited_at: UtcDateTime | None
    decided_by: str | None
    decided_at: UtcDateTime | None
    decision_comment: str | None
    published_at: UtcDateTime | None
    rolled_back_by: str | None
    rolled_back_at: UtcDateTime | None


class CheckRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    description: str
    passed: bool
    blocking: bool
    observed: dict[str, Any]
    checked_at: UtcDateTime


class BatchDetail(BatchRead):
    checks: list[CheckRead]
    samples: dict[str, list[dict[str, Any]]] = Field(
        description="Up to `sample` rows per table (staged rows before publication, published "
        "rows after)."
    )


class BatchParams(ListParams):
    status: BatchStatus | None = None
    source_id: Id | None = None
    sort: Literal["id", "-id", "created_at", "-created_at", "status", "-status"] | None = None


class Decision(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "figures checked"}]}
    )
    comment: text(2000) | None = None


class Rejection(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "wrong file delivered"}]}
    )
    comment: text(2000, 1) = Field(description="Why: required.")


class QuarantinedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source_id: int
    run_id: int
    source_sha256: str
    source_record: str
    raw: dict[str, Any]
    reasons: list[dict[str, Any]]
    status: str
    resolved_by: str | None
    resolved_at: UtcDateTime | None
    requeued_batch_id: int | None
    created_at: UtcDateTime


class QuarantineParams(ListParams):
    status: QuarantineStatus | None = None
    source_id: Id | None = None
    run_id: Id | None = None
    sort: Literal["id", "-id", "created_at", "-created_at"] | None = None


class Correction(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"changes": {"age": "34"}, "comment": "typo in the source file"}]
        },
    )
    changes: dict[text(120, 1), text(2000)] = Field(
        min_length=1, description="{column: new value} applied to the untouched source row."
    )
    comment: text(2000) | None = None


class CorrectionResult(BaseModel):
    valid: bool = Field(description="The corrected row passes its contract.")
    reasons: list[dict[str, Any]] = Field(description="Rules still broken, when not valid.")
    requeued_batch_id: int | None = Field(
        description="The new batch the row waits in (audited, for someone else's approval)."
    )


class SelectionParams(QueryInput):
    """Open quarantined rows of a source, with a defect (rule, column), from a file (run)."""

    model_config = ConfigDict(extra="forbid")
    source: text(120, 1) | None = Field(None, description="Source name, e.g. `gym_members`.")
    rule: text(500, 1) | None = Field(
        None, description="Rule as quarantine reasons name it, e.g. `in_range(0, 24)`."
    )
    column: text(500, 1) | None = Field(None, description="Column(s) the reason names.")
    run_id: Id | None = Field(None, description="The ingestion run (file) the rows come from.")


class BulkSelection(SelectionParams):
    """A bulk fix's selection: always within one source."""

    source: text(120, 1) = Field(description="Source name, e.g. `gym_members` (required).")


class SelectionPage(SelectionParams):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class SelectedRow(BaseModel):
    row_id: int
    source: str
    run_id: int
    file: str | None
    record: str
    reasons: list[dict[str, Any]]
    raw: dict[str, Any]
    malformed: bool = Field(description="A CSV line the reader could not split.")


class SelectedPage(BaseModel):
    data: list[SelectedRow]
    count: int


class Facets(BaseModel):
    sources: list[dict[str, Any]]
    defects: list[dict[str, Any]]
    files: list[dict[str, Any]]


class BulkFixBody(Input):
    model_config = ConfigDict(extra="forbid")
    column: text(120, 1)
    mode: Literal["set", "map"] = "set"
    value: text(2000) | None = None
    mapping: dict[text(2000), text(2000) | None] = Field(default_factory=dict, max_length=500)


class BulkPreviewRequest(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "selection": {"source": "gym_members", "rule": "avg_bpm_not_above_max_bpm"},
                    "fix": {"column": "Avg_BPM", "mode": "set", "value": "120"},
                }
            ]
        },
    )
    selection: BulkSelection
    fix: BulkFixBody


class BulkCorrection(BulkPreviewRequest):
    comment: text(2000) | None = None
    expected: int = Field(
        ge=0, le=10_000_000, description="Rows the preview said the fix touches (409 otherwise)."
    )


class BulkPreview(BaseModel):
    selected: int
    touched: int
    would_pass: int
    would_fail: int
    rows: list[dict[str, Any]]


class BulkResult(BaseModel):
    valid: bool = Field(description="Every touched row passes its contract.")
    accepted: list[int] = Field(description="Rows re-queued (or discarded as duplicates).")
    refused: dict[int, list[dict[str, Any]]] = Field(description="Rows still refused, why.")
    requeued_batch_ids: list[int] = Field(description="New audited batches (one per file).")


class LineRead(BaseModel):
    row_id: int
    line: str


class LineCorrection(Input):
    model_config = ConfigDict(extra="forbid")
    line: text(20000, 1) = Field(description="The corrected line, in the file's own format.")
    comment: text(2000) | None = None
