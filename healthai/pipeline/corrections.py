"""Correcting quarantine at scale: the open rows filtered by source, defect (rule and column)
and file, a page at a time; a bulk fix (the same value for every selected row, or a mapping
of values) previewed before it is applied (before/after of the rows it touches, how many
would pass), then applied through `quarantine.correct_each`: revalidated by the source's
contract and re-queued in audited batches (one per file) that a person must approve, each
change in the audit log, refused rows left untouched. A malformed CSV line is corrected
through the fields of its file's header. The API (`/quarantine`) and the web interface
(`/corrections`) use these functions, so both see and do the same."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, select
from sqlalchemy.orm import Session

from healthai.models import IngestionRun, QuarantinedRow, RawFile, Source
from healthai.pipeline import quarantine
from healthai.pipeline.errors import BatchStateError, ContractError, NotFoundError
from healthai.pipeline.readers import RECORD

MAX_PAGE = 200


@dataclass(frozen=True)
class Selection:
    """Which quarantined rows: of a source, with a defect (a rule, on a column), from a file
    (its ingestion run), in a status (open by default)."""

    source: str | None = None
    rule: str | None = None
    column: str | None = None
    run_id: int | None = None
    status: str = "open"


def _reasons(session: Session):  # noqa: ANN202
    """The rows' reasons as a table-valued function (one row per reason), and its rule and
    column expressions, on either engine."""
    q = QuarantinedRow.__table__
    if session.get_bind().dialect.name == "postgresql":
        reason = func.json_array_elements(q.c.reasons).table_valued("value").alias("reason")
        return reason, reason.c.value.op("->>")("rule"), reason.c.value.op("->>")("column")
    reason = func.json_each(q.c.reasons).table_valued("value").alias("reason")
    return (
        reason,
        func.json_extract(reason.c.value, "$.rule"),
        func.json_extract(reason.c.value, "$.column"),
    )


def _where(session: Session, sel: Selection, *, skip: str = "") -> list[Any]:
    q = QuarantinedRow.__table__
    clauses: list[Any] = [q.c.status == sel.status]
    if sel.source and skip != "source":
        clauses.append(
            q.c.source_id == select(Source.id).where(Source.name == sel.source).scalar_subquery()
        )
    if sel.run_id and skip != "file":
        clauses.append(q.c.run_id == sel.run_id)
    if (sel.rule or sel.column) and skip != "defect":
        reason, rule, column = _reasons(session)
        cond = [literal(True)]
        if sel.rule:
            cond.append(rule == sel.rule)
        if sel.column:
            cond.append(column == sel.column)
        clauses.append(exists(select(literal(1)).select_from(reason).where(and_(*cond))))
    return clauses


def _ids(session: Session, sel: Selection) -> Select:
    return select(QuarantinedRow.id).where(*_where(session, sel)).order_by(QuarantinedRow.id)


def count(session: Session, sel: Selection) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(QuarantinedRow).where(*_where(session, sel))
        )
        or 0
    )


def list_rows(
    session: Session, sel: Selection, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One page of the selected rows (oldest first) and how many are selected in all."""
    limit = max(1, min(limit, MAX_PAGE))
    stmt = (
        select(QuarantinedRow, Source.name, RawFile.original_name)
        .join(Source, Source.id == QuarantinedRow.source_id)
        .join(IngestionRun, IngestionRun.id == QuarantinedRow.run_id)
        .outerjoin(RawFile, RawFile.id == IngestionRun.raw_file_id)
        .where(*_where(session, sel))
        .order_by(QuarantinedRow.id)
        .limit(limit)
        .offset(max(0, offset))
    )
    rows = [
        {
            "row_id": r.id,
            "source": name,
            "run_id": r.run_id,
            "file": file_name,
            "record": r.source_record,
            "reasons": r.reasons or [],
            "raw": r.raw or {},
            "malformed": is_line(r),
        }
        for r, name, file_name in session.execute(stmt)
    ]
    return rows, count(session, sel)


def facets(session: Session, sel: Selection) -> dict[str, list[dict[str, Any]]]:
    """What the selection can be narrowed to, with how many open rows each choice holds:
    sources (whatever source is chosen), defects (rule and column) and files of the chosen
    source. Counted in the database (a row breaking two rules counts under both)."""
    q = QuarantinedRow.__table__
    sources = [
        {"source": name, "rows": n}
        for name, n in session.execute(
            select(Source.name, func.count())
            .select_from(q.join(Source, Source.id == q.c.source_id))
            .where(*_where(session, sel, skip="source"))
            .group_by(Source.name)
            .order_by(Source.name)
        )
    ]
    reason, rule, column = _reasons(session)
    defects = [
        {"rule": r, "column": c, "rows": n}
        for r, c, n in session.execute(
            select(rule, column, func.count(q.c.id.distinct()))
            .select_from(q.join(reason, literal(True)))
            .where(*_where(session, sel, skip="defect"))
            .group_by(rule, column)
            .order_by(func.count(q.c.id.distinct()).desc(), rule, column)
        )
    ]
    files = [
        {"run_id": run_id, "file": name, "rows": n}
        for run_id, name, n in session.execute(
            select(q.c.run_id, RawFile.original_name, func.count())
            .select_from(
                q.join(IngestionRun, IngestionRun.id == q.c.run_id).outerjoin(
                    RawFile, RawFile.id == IngestionRun.raw_file_id
                )
            )
            .where(*_where(session, sel, skip="file"))
            .group_by(q.c.run_id, RawFile.original_name)
            .order_by(q.c.run_id)
        )
    ]
    return {"sources": sources, "defects": defects, "files": files}


# ------------------------------------------------------------------ malformed lines
def is_line(row: QuarantinedRow) -> bool:
    """A CSV line the reader could not split into the header's fields."""
    return set(row.raw or {}) == {"line"}


def csv_layout(path: Path) -> tuple[list[str], str]:
    """The header and delimiter of a stored CSV file, sniffed as the reader does."""
    from healthai.pipeline.readers import detect_file_encoding

    encoding = detect_file_encoding(path)
    with path.open("rb") as fh:
        sample = fh.read(50_000).decode(encoding, errors="replace")
    first = sample.splitlines()[0] if sample else ""
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    return [h.strip() for h in header], delimiter


class LineShapeError(ContractError):
    """A corrected line still does not have as many fields as its file's header."""

    def __init__(self, found: int, expected: int) -> None:
        super().__init__(f"the line has {found} field(s), the file's header has {expected}")
        self.found, self.expected = found, expected


def _line_context(
    session: Session, row_id: int
) -> tuple[QuarantinedRow, list[str], list[str], str]:
    """The row, the columns its source reads, its file's header and delimiter."""
    from healthai.sources import SOURCES

    row = session.get(QuarantinedRow, row_id)
    if row is None:
        raise NotFoundError(f"quarantined row {row_id} does not exist")
    if not is_line(row):
        raise ContractError(f"quarantined row {row_id} is not a malformed line")
    source = session.get(Source, row.source_id)
    if source is None:
        raise NotFoundError(f"quarantined row {row_id} names no known source")
    spec = SOURCES[source.name]
    columns = [c for c in spec.contract.columns if c != RECORD]
    run = session.get(IngestionRun, row.run_id)
    raw_file = session.get(RawFile, run.raw_file_id) if run and run.raw_file_id else None
    header, delimiter = columns, ","
    if raw_file is not None and Path(raw_file.stored_path).exists():
        header, delimiter = csv_layout(Path(raw_file.stored_path))
    return row, columns, header, delimiter


def parse_line(session: Session, row_id: int, line: str) -> dict[str, str | None]:
    """A corrected line cut with its file's delimiter and named by its file's header, as the
    reader would have read it; LineShapeError when its field count still differs."""
    _row, columns, header, delimiter = _line_context(session, row_id)
    values = next(csv.reader(io.StringIO(line.strip("\r\n")), delimiter=delimiter), [])
    if len(values) != len(header):
        raise LineShapeError(len(values), len(header))
    found = dict(zip(header, values, strict=True))
    return {c: (found.get(c) or None) for c in columns}


def line_text(session: Session, row_id: int) -> str:
    return str(_line_context(session, row_id)[0].raw["line"])


def correct_line(
    session: Session, row_id: int, line: str, actor: str, comment: str | None = None
) -> quarantine.CorrectionResult:
    """Correct a malformed line by its corrected text (a value holding the delimiter put
    between double quotes, a missing field added…): cut as the reader would, then revalidated
    and re-queued like any correction."""
    values = parse_line(session, row_id, line)
    return quarantine.correct_each(session, {row_id: values}, actor, comment)


# ------------------------------------------------------------------ bulk fix
@dataclass(frozen=True)
class BulkFix:
    """The same correction for many rows: `value` written into `column` of every row
    (`mode="set"`), or the values of `column` replaced through `mapping` (`mode="map"`, a
    value absent from the mapping is left as it is)."""

    column: str
    mode: str = "set"
    value: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)

    def change(self, row: QuarantinedRow) -> dict[str, Any] | None:
        """This row's change, or None when the fix does not touch it."""
        before = (row.raw or {}).get(self.column)
        if self.mode == "map":
            key = "" if before is None else str(before)
            if key not in self.mapping:
                return None
            after = self.mapping[key]
        elif self.mode == "set":
            after = self.value
        else:
            raise ContractError(f"unknown bulk fix mode {self.mode!r} (set or map)")
        if is_line(row) or ("" if before is None else str(before)) != (after or ""):
            return {self.column: after}
        return None


@dataclass
class Preview:
    selected: int  # rows the selection holds
    touched: int  # rows the fix would change
    would_pass: int  # of those, rows that would pass the contract (re-queued for approval)
    would_fail: int  # rows that would still be refused (left untouched)
    rows: list[dict[str, Any]]  # a sample: row id, record, file, before, after, passes, reasons


def _selected(session: Session, sel: Selection, limit: int | None = None) -> list[QuarantinedRow]:
    ids = _ids(session, sel)
    if limit is not None:
        ids = ids.limit(limit)
    return list(
        session.scalars(
            select(QuarantinedRow).where(QuarantinedRow.id.in_(ids)).order_by(QuarantinedRow.id)
        )
    )


def _check_selection(sel: Selection) -> None:
    if not sel.source:
        raise ContractError("a bulk fix applies to rows of one source: choose a source")
    if sel.status != "open":
        raise BatchStateError("only open quarantined rows can be corrected")


def preview(session: Session, sel: Selection, fix: BulkFix, sample: int = 20) -> Preview:
    """What `fix` would do to the selected rows, computed without writing anything: every
    touched row is revalidated (per file, as the correction would); `rows` shows the first
    `sample` touched rows with their value before and after and whether they would pass."""
    _check_selection(sel)
    rows = _selected(session, sel)
    changes = {r.id: c for r in rows if (c := fix.change(r)) is not None}
    touched = [r for r in rows if r.id in changes]
    refused: dict[int, list[dict[str, Any]]] = {}
    by_run: dict[int, list[QuarantinedRow]] = {}
    for row in touched:
        by_run.setdefault(row.run_id, []).append(row)
    for group in by_run.values():
        refused |= quarantine.revalidate(session, group, changes).reasons
    files = dict(
        session.execute(
            select(IngestionRun.id, RawFile.original_name)
            .outerjoin(RawFile, RawFile.id == IngestionRun.raw_file_id)
            .where(IngestionRun.id.in_(list(by_run) or [0]))
        ).all()
    )
    shown = [
        {
            "row_id": r.id,
            "record": r.source_record,
            "file": files.get(r.run_id),
            "before": (r.raw or {}).get(fix.column) if not is_line(r) else r.raw["line"],
            "after": changes[r.id][fix.column],
            "passes": r.id not in refused,
            "reasons": refused.get(r.id, []),
        }
        for r in touched[:sample]
    ]
    return Preview(
        selected=len(rows),
        touched=len(touched),
        would_pass=len(touched) - len(refused),
        would_fail=len(refused),
        rows=shown,
    )


def apply(
    session: Session,
    sel: Selection,
    fix: BulkFix,
    actor: str,
    comment: str | None = None,
    expected: int | None = None,
) -> quarantine.CorrectionResult:
    """Apply `fix` to the selected rows it touches: the same path as a single correction
    (revalidated, re-queued in audited batches, one per file, each change in the audit log,
    refused rows untouched). `expected` is the number of touched rows the person saw in the
    preview: when the selection changed since (rows corrected by someone else, new
    quarantine), nothing is done and BatchStateError says so."""
    _check_selection(sel)
    rows = _selected(session, sel)
    changes = {r.id: c for r in rows if (c := fix.change(r)) is not None}
    if expected is not None and len(changes) != expected:
        raise BatchStateError(
            f"the selection changed since the preview: {len(changes)} row(s) to correct, "
            f"{expected} expected; preview again"
        )
    if not changes:
        return quarantine.CorrectionResult(valid=True)
    return quarantine.correct_each(session, changes, actor, comment)
