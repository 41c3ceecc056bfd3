"""One source, step by step: land -> read -> validate -> clean -> stage (-> audit, in audit.py).

Each step is a plain function over plain values so that Dagster assets, tests and notebooks
call the same code. Every input record ends in exactly one place: quarantined (with every
reason), counted as a duplicate, or staged in a batch (then published or rejected).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from healthai.models import NATURAL_KEYS, STAGING, Batch, IngestionRun, QuarantinedRow, RawFile
from healthai.pipeline import landing
from healthai.pipeline.contract import Rejected, jsonable, python_value, validate
from healthai.pipeline.errors import ContractError
from healthai.pipeline.readers import RECORD, read_file
from healthai.pipeline.spec import CleanContext, SourceSpec

log = logging.getLogger("healthai.pipeline")


@dataclass
class Landed:
    """A file registered for a run; `duplicate_of` is set when the same bytes came before."""

    source: str
    run_id: int
    path: Path
    sha256: str
    received_at: datetime
    raw_file_id: int | None = None
    duplicate_of: int | None = None


@dataclass
class Checked:
    landed: Landed
    valid: pd.DataFrame
    rows_in: int
    rejected: list[Rejected] = field(default_factory=list)


@dataclass
class Cleaned:
    landed: Landed
    tables: dict[str, pd.DataFrame]
    rows_in: int
    quarantined: int
    duplicates: list[Any] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Source records that reached the target tables (a record may feed several)."""
        found: set[Any] = set()
        for frame in self.tables.values():
            found.update(frame[RECORD].tolist())
        return len(found)


def start_run(session: Session, spec: SourceSpec, dagster_run_id: str | None) -> IngestionRun:
    source = landing.ensure_source(session, spec)
    run = IngestionRun(source_id=source.id, dagster_run_id=dagster_run_id, status="running")
    session.add(run)
    session.flush()
    return run


def land(session: Session, spec: SourceSpec, run: IngestionRun, path: Path) -> Landed:
    """Register one file; the same content twice is recognised and publishes nothing twice."""
    source = landing.ensure_source(session, spec)
    sha = landing.sha256_of(path)
    now = datetime.now(UTC)
    previous = landing.known_file(session, source, sha)
    if previous is not None:
        run.raw_file_id = previous.id
        return Landed(
            spec.name,
            run.id,
            Path(previous.stored_path),
            sha,
            now,
            previous.id,
            duplicate_of=previous.id,
        )
    raw = landing.store(session, source, path, sha)
    run.raw_file_id = raw.id
    return Landed(spec.name, run.id, Path(raw.stored_path), sha, now, raw.id)


def check(session: Session, spec: SourceSpec, landed: Landed) -> Checked:
    """Read and validate; quarantine every rejected record with all its reasons."""
    result = read_file(landed.path, spec.format, **spec.read_options)
    raw = result.frame
    normalised = spec.normalise(raw.copy())
    validation = validate(normalised, spec.contract, raw)
    rejected = [
        Rejected(record=m[RECORD], raw=m["raw"], reasons=[m["reason"]]) for m in result.malformed
    ] + validation.rejected
    _quarantine(session, spec, landed, rejected)
    return Checked(landed, validation.valid, result.rows_in, rejected)


def _quarantine(session: Session, spec: SourceSpec, landed: Landed, rows: list[Rejected]) -> None:
    if not rows:
        return
    source_id = landing.ensure_source(session, spec).id
    session.execute(
        insert(QuarantinedRow),
        [
            {
                "source_id": source_id,
                "run_id": landed.run_id,
                "source_sha256": landed.sha256,
                "source_record": str(r.record),
                "raw": jsonable(r.raw),
                "reasons": r.reasons,
                "status": "open",
                "created_at": datetime.now(UTC),
            }
            for r in rows
        ],
    )


def clean(session: Session, spec: SourceSpec, checked: Checked) -> Cleaned:
    """Transform valid rows into target tables; count duplicates (in the file or published)."""
    landed = checked.landed
    ctx = CleanContext(spec.name, landed.sha256, landed.received_at)
    tables = spec.transform(checked.valid, ctx) if len(checked.valid) else {}
    duplicates: list[Any] = []
    if tables and spec.primary_table is not None:
        main = tables[spec.primary_table]
        in_file = main[RECORD][main.duplicated(spec.primary_key, keep="first")].tolist()
        existing = _existing_keys(session, spec.primary_table, main[spec.primary_key].tolist())
        already = main[RECORD][
            main[spec.primary_key].isin(existing) & ~main[RECORD].isin(in_file)
        ].tolist()
        duplicates = in_file + already
        if duplicates:
            tables = {t: f[~f[RECORD].isin(duplicates)] for t, f in tables.items()}
    # Entities a record brings along (e.g. the user of a meal log) that are already known
    # are not staged again: the record's facts then refer to the known row.
    for table, frame in list(tables.items()):
        key = NATURAL_KEYS.get(table)
        if table != spec.primary_table and key in frame.columns and len(frame):
            known = _existing_keys(session, table, frame[key].tolist())
            tables[table] = frame[~frame[key].isin(known)]
    return Cleaned(landed, tables, checked.rows_in, len(checked.rejected), duplicates)


def _existing_keys(session: Session, table: str, keys: list[str]) -> set[str]:
    """Natural keys already published or waiting in another batch."""
    from healthai.models import metadata

    core = metadata.tables[table]
    key = NATURAL_KEYS[table]
    stg = STAGING[table]
    found: set[str] = set()
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        found |= set(session.scalars(select(core.c[key]).where(core.c[key].in_(chunk))))
        found |= set(
            session.scalars(
                select(stg.c[key])
                .join(Batch, Batch.id == stg.c.batch_id)
                .where(stg.c[key].in_(chunk), Batch.status.in_(("staged", "audited", "approved")))
            )
        )
    return found


def stage(session: Session, spec: SourceSpec, cleaned: Cleaned, run: IngestionRun) -> Batch | None:
    """Write the cleaned rows to staging as one batch and settle the run's accounting."""
    landed = cleaned.landed
    run.rows_in = cleaned.rows_in
    run.rows_quarantined = cleaned.quarantined
    run.rows_duplicate = len(cleaned.duplicates)
    if not cleaned.tables or cleaned.records == 0:
        run.rows_pending = 0
        return None
    batch = Batch(
        source_id=run.source_id,
        run_id=run.id,
        raw_file_id=landed.raw_file_id,
        status="staged",
        rows_staged=cleaned.records,
        rows_by_table={t: len(f) for t, f in cleaned.tables.items()},
    )
    session.add(batch)
    session.flush()
    for table, frame in cleaned.tables.items():
        write_staging(session, table, frame, batch.id, landed.sha256)
    run.rows_pending = cleaned.records
    return batch


def write_staging(
    session: Session, table: str, frame: pd.DataFrame, batch_id: int, sha: str
) -> None:
    stg = STAGING[table]
    out = frame.rename(columns={RECORD: "source_record"}).copy()
    out["source_record"] = out["source_record"].astype(str)
    out["batch_id"] = batch_id
    out["source_sha256"] = sha
    unknown = set(out.columns) - set(stg.c.keys())
    if unknown:
        raise ContractError(f"transform produced columns unknown to {stg.name}: {sorted(unknown)}")
    if "created_at" in stg.c and "created_at" not in out.columns:
        out["created_at"] = datetime.now(UTC)
    records = [
        {k: python_value(v) for k, v in row.items()}
        for row in out.astype(object).where(out.notna(), None).to_dict("records")
    ]
    for start in range(0, len(records), 10_000):
        session.execute(insert(stg), records[start : start + 10_000])


def finish_run(run: IngestionRun, status: str, error: str | None = None) -> None:
    run.status = status
    run.error = error
    run.finished_at = datetime.now(UTC)


def staged_count(session: Session, table: str, batch_id: int) -> int:
    stg = STAGING[table]
    return session.scalar(select(func.count()).select_from(stg).where(stg.c.batch_id == batch_id))


def raw_file(session: Session, batch: Batch) -> RawFile | None:
    return session.get(RawFile, batch.raw_file_id) if batch.raw_file_id else None
