"""One source, step by step: land -> read -> validate -> clean -> stage (-> audit, in batches.py).

Each step is a plain function over plain values so that Dagster assets, tests and notebooks
call the same code. Every input record ends in exactly one place: quarantined (with every
reason), counted as a duplicate, or staged in a batch (then published or rejected).

A file goes through in chunks of `ingest_chunk_rows` rows, so memory is bounded whatever its
size: `check` streams it and keeps the valid rows in Arrow IPC parts under the run's work folder
(`var/work/<source>/run-<id>/`), `clean` and `stage` stream those parts, and staging is
written with COPY on PostgreSQL. Rules about the whole file (a duplicate key, "one row per
user and day") hold across chunks (`chunks.KeySet`, `contract.FileScope`). `discard_work`
removes the folder once the batch is committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, object_session

from healthai.models import (
    NATURAL_KEYS,
    STAGING,
    Batch,
    IngestionRun,
    QuarantinedRow,
    QuarantineRepeat,
    RawFile,
)
from healthai.models.staging import record_column
from healthai.pipeline import bulk, dates, duplicates, landing, lifecycle, runs
from healthai.pipeline.chunks import KeySet, Parts, release_memory, remove_work, work_dir
from healthai.pipeline.contract import FileScope, Rejected, column_kind, jsonable, validate
from healthai.pipeline.errors import ContractError
from healthai.pipeline.faults import fault_point
from healthai.pipeline.lifecycle_states import FILE_IN_PROGRESS, FileState
from healthai.pipeline.readers import RECORD, iter_source
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.settings import get_settings

log = logging.getLogger("healthai.pipeline")
PIPELINE = "pipeline"


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
    original_name: str = ""  # the name of the file the person dropped (messages use it)

    @property
    def name(self) -> str:
        return self.original_name or self.path.name


@dataclass
class Checked:
    """A file read and validated chunk by chunk: its valid rows (coerced) wait in Arrow IPC parts
    under the run's work folder; the rejected ones are already in quarantine."""

    landed: Landed
    valid: Parts
    rows_in: int
    rows_valid: int = 0
    quarantined: int = 0
    duplicates: int = 0  # bad rows identical to rows already in quarantine (linked to them)
    reasons: dict[str, int] = field(default_factory=dict)  # rule -> times cited
    soft: dict[str, int] = field(default_factory=dict)  # soft rule -> rows flagged


@dataclass
class Cleaned:
    """The valid rows shaped into target tables (Arrow IPC parts per table), duplicates out."""

    landed: Landed
    tables: dict[str, Parts]
    rows_in: int
    quarantined: int
    records: int = 0  # source records that reached the target tables (one may feed several)
    duplicates: int = 0
    rows_by_table: dict[str, int] = field(default_factory=dict)


def start_run(session: Session, spec: SourceSpec, dagster_run_id: str | None) -> IngestionRun:
    """A new run of the source, owned by this process; the source's runs whose process died
    are closed first (failed, their work undone, their files handed back: `runs.recover`)."""
    source = landing.ensure_source(session, spec)
    runs.reap(session, source.id)
    run = IngestionRun(source_id=source.id, dagster_run_id=dagster_run_id, status="running")
    runs.claim(run)
    session.add(run)
    session.flush()
    return run


def resumable(session: Session, spec: SourceSpec) -> list[Path]:
    """The stored copies of the source's files waiting to be read (state `received`: handed
    back after a crash, or retried by a steward), for the next run to take up on its own."""
    source = landing.ensure_source(session, spec)
    runs.reap(session, source.id)
    return [
        Path(p)
        for p in session.scalars(
            select(RawFile.stored_path)
            .where(RawFile.source_id == source.id, RawFile.state == FileState.RECEIVED)
            .order_by(RawFile.id)
        )
    ]


def land(session: Session, spec: SourceSpec, run: IngestionRun, path: Path) -> Landed:
    """Register one file and claim it for `run` (received -> read). The same content again
    is recognised: skipped (`duplicate_of` set) once its processing reached a state where the
    pipeline has nothing more to do, or while another live run holds it; taken up again when
    it waits in `received` (its earlier run died, or a steward asked for a retry)."""
    source = landing.ensure_source(session, spec)
    sha = landing.sha256_of(path)
    now = datetime.now(UTC)
    raw = landing.known_file(session, source, sha)
    if raw is None:
        raw = landing.store(session, source, path, sha)
    run.raw_file_id = raw.id
    name = raw.original_name if raw.stored_path == str(path) else path.name
    landed = Landed(spec.name, run.id, Path(raw.stored_path), sha, now, raw.id, original_name=name)
    if raw.state != FileState.RECEIVED:
        landed.duplicate_of = raw.id
        return landed
    try:
        lifecycle.move_file(session, raw.id, "read", FileState.READ, PIPELINE, run_id=run.id)
    except lifecycle.StateConflict:  # another run claimed it first
        landed.duplicate_of = raw.id
    return landed


def check(
    session: Session, spec: SourceSpec, landed: Landed, chunk_rows: int | None = None
) -> Checked:
    """Read and validate the file chunk by chunk (`ingest_chunk_rows`); quarantine every
    rejected record with all its reasons, keep the valid rows for cleaning."""
    folder = work_dir(spec.name, landed.run_id)
    shutil.rmtree(folder, ignore_errors=True)  # a retried step starts afresh
    runs.beat(session, landed.run_id)
    fault_point("check")
    checked = Checked(landed, Parts(folder / "valid"), rows_in=0)
    reasons: Counter[str] = Counter()
    soft: Counter[str] = Counter({name: 0 for name in spec.soft_rules})
    source_id = landing.ensure_source(session, spec).id
    rows = chunk_rows or get_settings().ingest_chunk_rows
    try:
        # One savepoint: a file refused in a later chunk leaves none of its rows in quarantine.
        with session.begin_nested(), FileScope() as scope:
            for result in iter_source(landed.path, spec, rows, arrow_strings=True):
                raw = result.frame
                if scope.date_orders is None:  # the file's order of day and month
                    scope.date_orders = date_orders(spec, landed.path, raw, rows)
                validation = validate(spec.normalise(raw.copy()), spec.contract, raw)
                rejected = [
                    Rejected(record=m[RECORD], raw=m["raw"], reasons=[m["reason"]])
                    for m in result.malformed
                ] + validation.rejected
                linked = _quarantine(session, source_id, landed, rejected)
                reasons.update(r["rule"] for q in rejected for r in q.reasons)
                checked.rows_in += result.rows_in
                checked.quarantined += len(rejected) - linked
                checked.duplicates += linked  # bad rows already in quarantine: linked
                valid = validation.valid
                if len(valid):
                    for name, (_, flags) in spec.soft_rules.items():
                        soft[name] += int(flags(valid).sum())
                    checked.valid.write(valid)
                    checked.rows_valid += len(valid)
                del raw, validation, valid, rejected
                release_memory()
                fault_point("check_chunk")
            suspect = scope.unit_suspect()
            if suspect is not None:  # the whole file in another unit (a weight in pounds)
                raise suspect
    except ContractError as exc:
        refused = exc.for_file(landed.name)
        _file_ends(session, landed, "refuse", FileState.REFUSED, str(refused))
        raise refused from exc
    except Exception as exc:  # a reader that crashed: the file ends failed with its error
        failed = ReaderFailed(
            f"{landed.name}: the file could not be read ({type(exc).__name__}: {exc})"[:2000]
        )
        _file_ends(session, landed, "fail", FileState.FAILED, str(failed))
        raise failed from exc
    checked.reasons, checked.soft = dict(reasons), dict(soft)
    if landed.raw_file_id is not None:
        lifecycle.move_file(session, landed.raw_file_id, "validate", FileState.VALIDATED, PIPELINE)
    return checked


class ReaderFailed(ContractError):
    """The reader crashed on the file (not a contract's refusal): the file ends `failed`,
    listed with its error, and a steward retries it once the cause is fixed."""


def _file_ends(
    session: Session, landed: Landed, action: str, target: FileState, error: str
) -> None:
    if landed.raw_file_id is not None:
        lifecycle.move_file(session, landed.raw_file_id, action, target, PIPELINE, error=error)


def date_orders(
    spec: SourceSpec, path: Path, first: pd.DataFrame, chunk_rows: int | None = None
) -> dict[str, dates.Order | None]:
    """The order of day and month of each date column written day/month/year or
    month/day/year, decided over the whole file (`healthai.pipeline.dates`): from `first`,
    the file's first chunk, when it is the whole file; else by reading those columns of
    every chunk."""
    columns = [
        name
        for name, column in spec.contract.columns.items()
        if column_kind(column).startswith("datetime")
        and name in first.columns
        and dates.is_numeric_column(first[name])
    ]
    if not columns:
        return {}
    if chunk_rows is None or len(first) < chunk_rows:
        return dates.decide({c: first[c] for c in columns})
    found = {c: dates.Evidence() for c in columns}
    for part in iter_source(path, spec, chunk_rows):
        for c in columns:
            if c in part.frame.columns:
                found[c] = found[c] | dates.evidence(part.frame[c])
    return {c: e.order for c, e in found.items()}


def quarantine_fingerprint(raw: dict) -> str:
    """The SHA-256 of a row's untouched values (not of its place in a file): the same bad row
    has the same fingerprint whichever file brings it."""
    text = json.dumps(jsonable(raw), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _known_rows(session: Session, source_id: int, prints: set[str]) -> dict[str, int]:
    """fingerprint -> the first quarantined row of the source with it."""
    found: dict[str, int] = {}
    wanted = sorted(prints)
    for start in range(0, len(wanted), 1000):
        rows = session.execute(
            select(QuarantinedRow.fingerprint, func.min(QuarantinedRow.id))
            .where(
                QuarantinedRow.source_id == source_id,
                QuarantinedRow.fingerprint.in_(wanted[start : start + 1000]),
            )
            .group_by(QuarantinedRow.fingerprint)
        )
        found.update({fp: row_id for fp, row_id in rows})
    return found


def _quarantine(session: Session, source_id: int, landed: Landed, rows: list[Rejected]) -> int:
    """Quarantine the rejected rows; a row identical to one already in quarantine (from any
    file of the source, or earlier in this one) is linked to it instead (`quarantine_repeats`):
    a steward fixes it once. Returns how many were linked (duplicates of their run)."""
    if not rows:
        return 0
    now = datetime.now(UTC)
    prints = [quarantine_fingerprint(r.raw) for r in rows]
    known = _known_rows(session, source_id, set(prints))
    fresh: dict[str, Rejected] = {}
    repeats: list[tuple[str, Rejected]] = []
    for row, fp in zip(rows, prints, strict=True):
        if fp in known or fp in fresh:
            repeats.append((fp, row))
        else:
            fresh[fp] = row
    if fresh:
        _insert_quarantined(
            session,
            [
                {
                    "source_id": source_id,
                    "run_id": landed.run_id,
                    "source_sha256": landed.sha256,
                    "source_record": str(r.record),
                    "raw": jsonable(r.raw),
                    "reasons": r.reasons,
                    "status": "open",
                    "fingerprint": fp,
                    "created_at": now,
                }
                for fp, r in fresh.items()
            ],
        )
    if repeats:
        known |= _known_rows(session, source_id, {fp for fp, _ in repeats} - set(known))
        session.execute(
            insert(QuarantineRepeat),
            [
                {
                    "quarantined_row_id": known[fp],
                    "run_id": landed.run_id,
                    "source_sha256": landed.sha256,
                    "source_record": str(r.record),
                    "created_at": now,
                }
                for fp, r in repeats
            ],
        )
    return len(repeats)


def _insert_quarantined(session: Session, rows: list[dict]) -> None:
    """New quarantined rows: one COPY on PostgreSQL (the JSON columns as the text SQLAlchemy
    would send, `json.dumps`), inserts elsewhere. An executemany of INSERTs took 0.6 s for
    the 5,000 bad rows of a 1 M-row file, and grows with the share of bad rows."""
    if not bulk.is_postgres(session):
        session.execute(insert(QuarantinedRow), rows)
        return
    table = QuarantinedRow.__table__
    columns = list(rows[0])
    data = {c: [r[c] for r in rows] for c in columns}
    for c in ("raw", "reasons"):
        data[c] = [json.dumps(v) for v in data[c]]
    stamp = pa.timestamp("us", tz="UTC")
    types = {"source_id": pa.int64(), "run_id": pa.int64(), "created_at": stamp}
    arrow = pa.table({c: pa.array(data[c], type=types.get(c, pa.string())) for c in columns})
    bulk.copy_rows(session, table, arrow)  # type: ignore[arg-type]


def clean(session: Session, spec: SourceSpec, checked: Checked) -> Cleaned:
    """Transform valid rows into target tables, chunk by chunk; count duplicates (earlier in
    the file, in any chunk, or already published or pending)."""
    landed = checked.landed
    ctx = CleanContext(spec.name, landed.sha256, landed.received_at)
    folder = work_dir(spec.name, landed.run_id) / "cleaned"
    shutil.rmtree(folder, ignore_errors=True)
    cleaned = Cleaned(
        landed, {}, checked.rows_in, checked.quarantined, duplicates=checked.duplicates
    )
    by_table: Counter[str] = Counter()
    primary_seen = KeySet()  # primary keys of the earlier chunks
    entities_seen: dict[str, KeySet] = {}  # entity keys already kept in earlier chunks
    for valid in checked.valid.frames():
        tables = spec.transform(valid, ctx)
        if spec.primary_table is not None and tables:
            main = tables[spec.primary_table]
            keys = main[[spec.primary_key]]
            earlier = main.duplicated(spec.primary_key, keep="first").to_numpy()
            earlier |= primary_seen.contains(keys)
            primary_seen.add(keys)
            in_file = main[RECORD][earlier]
            existing = _existing_keys(session, spec.primary_table, main[spec.primary_key].tolist())
            already = main[RECORD][
                main[spec.primary_key].isin(existing) & ~main[RECORD].isin(in_file)
            ]
            duplicates = pd.concat([in_file, already])
            cleaned.duplicates += len(duplicates)
            if len(duplicates):
                tables = {t: f[~f[RECORD].isin(duplicates)] for t, f in tables.items()}
        tables = without_known_entities(session, spec, tables, entities_seen)
        records = [f[RECORD] for f in tables.values() if len(f)]
        cleaned.records += pd.concat(records).nunique() if records else 0
        for table, frame in tables.items():
            by_table[table] += len(frame)
            if len(frame):
                cleaned.tables.setdefault(table, Parts(folder / table)).write(frame)
        del valid, tables
        release_memory()
    cleaned.rows_by_table = dict(by_table)
    return cleaned


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


def without_known_entities(
    session: Session,
    spec: SourceSpec,
    tables: dict[str, pd.DataFrame],
    seen: dict[str, KeySet] | None = None,
) -> dict[str, pd.DataFrame]:
    """Entities a record brings along (e.g. the user of a meal log) that are already published
    or pending, or (with `seen`) kept from an earlier chunk, are not staged again: the
    record's facts then refer to the known row."""
    seen = {} if seen is None else seen
    for table, frame in list(tables.items()):
        key = NATURAL_KEYS.get(table)
        if table != spec.primary_table and key in frame.columns and len(frame):
            known = _existing_keys(session, table, frame[key].tolist())
            kept = seen.setdefault(table, KeySet())
            fresh = ~frame[key].isin(known).to_numpy() & ~kept.contains(frame[[key]])
            kept.add(frame[[key]])
            tables[table] = frame[fresh]
    return tables


def stage(session: Session, spec: SourceSpec, cleaned: Cleaned, run: IngestionRun) -> Batch | None:
    """Write the cleaned rows to staging as one batch (COPY on PostgreSQL), part by part, and
    settle the run's accounting."""
    landed = cleaned.landed
    runs.beat(session, run.id)
    fault_point("stage")
    run.rows_in = cleaned.rows_in
    run.rows_quarantined = cleaned.quarantined
    run.rows_duplicate = cleaned.duplicates
    if not cleaned.tables or cleaned.records == 0:
        run.rows_pending = 0
        _settled(session, landed)
        return None
    batch = Batch(
        source_id=run.source_id,
        run_id=run.id,
        raw_file_id=landed.raw_file_id,
        source_sha256=landed.sha256,
        status="staged",
        rows_staged=cleaned.records,
        rows_by_table=dict(cleaned.rows_by_table),
    )
    session.add(batch)
    session.flush()
    for table, parts in cleaned.tables.items():
        for part in parts.read():
            write_staging(session, table, part, batch.id)
            del part
            release_memory()
            fault_point("stage_part")
    run.rows_pending = cleaned.records
    # rows already published or pending in another batch: duplicates, or conflicts
    duplicates.settle(session, spec, batch, run, landed.path)
    if batch.rows_staged <= 0:  # nothing new in the file: no batch
        for stg in STAGING.values():
            session.execute(delete(stg).where(stg.c.batch_id == batch.id))
        session.delete(batch)
        session.flush()
        _settled(session, landed)
        return None
    if landed.raw_file_id is not None:
        lifecycle.move_file(session, landed.raw_file_id, "stage", FileState.STAGED, PIPELINE)
    return batch


def _settled(session: Session, landed: Landed) -> None:
    """Nothing of the file to publish: every row quarantined or a duplicate."""
    if landed.raw_file_id is not None:
        lifecycle.move_file(session, landed.raw_file_id, "settle", FileState.SETTLED, PIPELINE)


def write_staging(
    session: Session, table: str, frame: pd.DataFrame | pa.Table, batch_id: int
) -> None:
    """Append cleaned rows (a frame, or an Arrow table of the same columns) to
    `staging_<table>` with their batch and source record (the batch holds the source's
    fingerprint): COPY on PostgreSQL, inserts elsewhere."""
    stg = STAGING[table]
    lineage = record_column(stg)
    names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    columns = [lineage if c == RECORD else c for c in names]
    columns.append("batch_id")
    stamp = "created_at" in stg.c and "created_at" not in columns
    unknown = set(columns) - set(stg.c.keys())
    if unknown:
        raise ContractError(f"transform produced columns unknown to {stg.name}: {sorted(unknown)}")
    if bulk.is_postgres(session):
        data = frame
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        rows = data.num_rows
        data = data.rename_columns(columns[:-1])
        data = data.append_column("batch_id", bulk.constant(batch_id, rows, pa.int32()))
        if stamp:
            kind = pa.timestamp("us", tz="UTC")
            data = data.append_column("created_at", bulk.constant(bulk.now(), rows, kind))
        bulk.copy_rows(session, stg, data)
        return
    out = frame.to_pandas() if isinstance(frame, pa.Table) else frame.copy()
    out.columns = columns[:-1]
    if lineage == "source_record":
        out[lineage] = out[lineage].astype(str)
    out["batch_id"] = batch_id
    if stamp:
        out["created_at"] = bulk.now()
    bulk.insert_rows(session, stg, out)


def discard_work(landed: Landed) -> None:
    """Remove the run's intermediate files (after its batch is committed, or it was refused)."""
    remove_work(landed.source, landed.run_id)


def finish_run(run: IngestionRun, status: str, error: str | None = None) -> None:
    """Close the run. A failed run's file, if the run still holds it half read, ends failed
    with the error (listed, retried by a steward)."""
    run.status = status
    run.error = error
    run.finished_at = datetime.now(UTC)
    session = object_session(run)
    if status != "failed" or session is None or run.raw_file_id is None:
        return
    rf = session.get(RawFile, run.raw_file_id)
    if rf is not None and rf.run_id == run.id and rf.state in FILE_IN_PROGRESS:
        lifecycle.move_file(session, rf.id, "fail", FileState.FAILED, PIPELINE, error=error)


def staged_count(session: Session, table: str, batch_id: int) -> int:
    stg = STAGING[table]
    return session.scalar(select(func.count()).select_from(stg).where(stg.c.batch_id == batch_id))


def raw_file(session: Session, batch: Batch) -> RawFile | None:
    return session.get(RawFile, batch.raw_file_id) if batch.raw_file_id else None
