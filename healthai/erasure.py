"""Erasure of a person (RGPD article 17): afterwards nothing of them remains on the platform.

`erase_user` removes, in the caller's transaction (the caller commits):
- their published rows (the user and, by cascade, every row about them and their aggregates),
  the rollups recomputed without them;
- their staged rows in batches not yet published (the batch's counts follow);
- their quarantined rows: those whose record is one of theirs, and those whose raw row names
  them (`SourceSpec.person_key`);
- the values of the audit log's entries about their rows (before/after/comment), and their ids
  in the personal-data access log (the entries stay: who read what and when, without whom);
- their records in the files: the raw store's copy of every file that held one of their
  records is rewritten with those records blanked (`healthai.pipeline.redact`: the others
  keep their place, so every other row's lineage still holds), its new fingerprint recorded in
  `raw_files.content_sha256` (the original `sha256` stays: what came in, and what the lineage
  of published rows names), and every copy of the file in the landing zone gets the same
  bytes, so it is recognised and not ingested again; files in the landing zone not ingested
  yet are rewritten in place; files under the shipped `raw/` folder are read-only inputs of the
  repository and are reported, not rewritten;
- their rows in the consolidated export for data scientists (`var/consolidated/`);
- in the run accounting, their records move from published, quarantined or pending to erased
  (`ingestion_runs.rows_erased`), so every run still adds up.

What stays is one row of `erasures`: who erased, when, what was removed where, and a keyed
fingerprint of the person's natural key (HMAC with `PSEUDONYM_SECRET`), which proves the
erasure to whoever holds that key and names nobody to anyone else.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Table, delete, or_, select, update
from sqlalchemy.orm import Session

from healthai import access, privacy
from healthai.logging import get_logger
from healthai.models import (
    STAGING,
    AuditLog,
    Batch,
    BiometricMeasurement,
    Erasure,
    IngestionRun,
    PersonalDataAccess,
    QuarantinedRow,
    RawFile,
    Source,
    User,
    metadata,
)
from healthai.models.staging import record_column
from healthai.pipeline import aggregates, landing, redact, versions
from healthai.pipeline.readers import iter_source
from healthai.settings import Settings, get_settings

log = get_logger("healthai.erasure")
CHUNK = 5000
ERASED = "{erased}"


@dataclass
class ErasureReport:
    """What an erasure removed, where (no personal data: counts and file names)."""

    erasure_id: int
    rows: Counter[str] = field(default_factory=Counter)  # "<place>:<table>" -> rows
    audit_entries: int = 0
    access_entries: int = 0
    runs: dict[int, int] = field(default_factory=dict)  # run id -> records now erased
    files: list[str] = field(default_factory=list)  # files rewritten
    left: list[str] = field(default_factory=list)  # files holding them, not rewritten: why

    def summary(self) -> dict[str, Any]:
        return {
            "rows": dict(sorted(self.rows.items())),
            "audit_entries": self.audit_entries,
            "access_entries": self.access_entries,
            "runs": {str(k): v for k, v in sorted(self.runs.items())},
            "files": self.files,
            "left": self.left,
        }


def subject(settings: Settings, external_key: str) -> str:
    """The keyed fingerprint an erasure keeps of the person's natural key."""
    message = f"erased:{external_key}".encode()
    return hmac.new(settings.pseudonym_secret.encode(), message, hashlib.sha256).hexdigest()


def erase_user(
    session: Session, user_id: int, actor: str, settings: Settings | None = None
) -> ErasureReport | None:
    """Erase the person `user_id` everywhere (see the module's docstring); None when there is
    no such user. Files are rewritten before the caller commits: an erasure that fails to
    commit is done again whole by calling it again."""
    settings = settings or get_settings()
    user = session.get(User, user_id)
    if user is None:
        return None
    key = user.external_key
    erasure = Erasure(actor=actor, subject=subject(settings, key), detail={})
    session.add(erasure)
    session.flush()
    report = ErasureReport(erasure.id)
    person = _Person(user_id, key)

    _published(session, person, report)
    _staged(session, person, report)
    _quarantined(session, person, report)
    _account(session, person, report)
    _scrub_audit(session, person, report)
    _scrub_access(session, person, report)
    session.add(
        AuditLog(
            **access.actor_columns(actor),
            action="erase",
            entity="erasures",
            entity_id=erasure.id,
            comment="a person and all their data erased (right to erasure)",
        )
    )
    session.delete(user)  # every row about them goes by cascade, their aggregate rows too
    versions.forget_user(session, user_id)  # and from the history: from every version
    versions.bump(session, "erasure", actor=actor, detail={"erasure": erasure.id})
    session.flush()
    aggregates.user_erased(session, user_id)  # the rollups without them
    _files(session, person, report, settings)
    _consolidated(person, report, settings)
    erasure.detail = report.summary()
    session.flush()
    log.info("erased", erasure=erasure.id, actor=actor, rows=report.summary()["rows"])
    return report


@dataclass
class _Person:
    user_id: int
    key: str
    row_ids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # (file fingerprint, record) of every record about them, and where it was counted
    records: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    published: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # batch
    pending: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # batch
    quarantined: Counter[int] = field(default_factory=Counter)  # run -> rows
    quarantine_ids: set[int] = field(default_factory=set)


def _personal_tables() -> list[Table]:
    """Published tables about people whose rows carry an id and their lineage (a record in
    the batch's file: `source_record`, or `record` in the lean biometric_readings)."""
    return [
        t
        for t in metadata.sorted_tables
        if privacy.is_personal(t)
        and t.name in STAGING
        and {"id", "batch_id"} <= set(t.c.keys())
        and record_column(t) in t.c
    ]


def _owner(table: Table) -> ColumnElement[Any]:
    return table.c.id if table.name == "users" else table.c[privacy.user_columns(table)[0]]


def _published(session: Session, person: _Person, report: ErasureReport) -> None:
    """Their published rows with lineage: the records they came from, their ids."""
    b = Batch.__table__
    for table in _personal_tables():
        # the file's fingerprint: the row's own, or its batch's (lean lineage)
        sha = table.c.source_sha256 if "source_sha256" in table.c else b.c.source_sha256
        columns = [table.c.id, table.c.batch_id, sha, table.c[record_column(table)]]
        rows = session.execute(
            select(*columns)
            .select_from(table.outerjoin(b, b.c.id == table.c.batch_id))
            .where(_owner(table) == person.user_id)
        ).all()
        for row_id, batch_id, fingerprint, record in rows:
            person.row_ids[table.name].add(row_id)
            person.records[fingerprint or ""].add(str(record))
            person.published[batch_id].add(str(record))
        if rows:
            report.rows[f"published:{table.name}"] += len(rows)
    # the ids the API shows for their measurements (the long view over their readings)
    view = BiometricMeasurement
    person.row_ids[view.__tablename__] |= set(
        session.scalars(select(view.id).where(view.user_id == person.user_id))
    )


def _staged(session: Session, person: _Person, report: ErasureReport) -> None:
    """Their staged rows (batches not yet published): removed, their batch's counts lowered."""
    by_batch: dict[int, Counter[str]] = defaultdict(Counter)
    for name, stg in STAGING.items():
        column = "external_key" if name == "users" else "user_key"
        if column not in stg.c:
            continue
        where = stg.c[column] == person.key
        lineage = stg.c[record_column(stg)]
        rows = session.execute(select(stg.c.batch_id, lineage).where(where)).all()
        if not rows:
            continue
        for batch_id, record in rows:
            person.pending[batch_id].add(str(record))
            by_batch[batch_id][name] += 1
        session.execute(delete(stg).where(where))
        report.rows[f"staged:{name}"] += len(rows)
    for batch_id, tables in by_batch.items():
        batch = session.get(Batch, batch_id)
        if batch is None:
            continue
        for record in person.pending[batch_id]:
            person.records[batch.source_sha256 or ""].add(record)
        counts = dict(batch.rows_by_table or {})
        for name, n in tables.items():
            counts[name] = max(0, int(counts.get(name, 0)) - n)
        batch.rows_by_table = {t: n for t, n in counts.items() if n}
        batch.rows_staged = max(0, batch.rows_staged - len(person.pending[batch_id]))


Headers = dict[str, tuple[list[str], str] | None]


def _keys_of(
    session: Session, rows: list[QuarantinedRow], spec: Any, headers: Headers
) -> list[str | None]:
    """The person each quarantined raw row names (`person_key`); a malformed line is read
    against its file's header first."""
    frame = pd.DataFrame([_as_row(session, r, headers) for r in rows], index=[r.id for r in rows])
    keys = spec.person_key(spec.normalise(frame.copy()))
    return [None if pd.isna(k) else str(k) for k in keys]


def _as_row(session: Session, row: QuarantinedRow, headers: Headers) -> dict[str, Any]:
    raw = dict(row.raw or {})
    if set(raw) != {"line"}:
        return raw
    if row.source_sha256 not in headers:
        headers[row.source_sha256] = _header(session, row.source_sha256)
    header = headers[row.source_sha256]
    if header is None:
        return raw
    names, delimiter = header
    fields = next(csv.reader([str(raw["line"])], delimiter=delimiter), [])
    return dict(zip(names, fields, strict=False))


def _header(session: Session, sha: str) -> tuple[list[str], str] | None:
    """The column names and delimiter of a stored CSV file (None: not a readable CSV)."""
    from healthai.sources import SOURCES

    raw = session.scalar(select(RawFile).where(RawFile.sha256 == sha).limit(1))
    if raw is None or not Path(raw.stored_path).exists():
        return None
    spec = SOURCES.get(session.scalar(select(Source.name).where(Source.id == raw.source_id)) or "")
    if spec is None:
        return None
    try:
        first = next(iter_source(Path(raw.stored_path), spec, 1))
    except Exception:  # noqa: BLE001 - unreadable: no header
        return None
    if first.format != "csv":
        return None
    return [str(c) for c in first.frame.columns[1:]], first.delimiter or ","


def _quarantined(session: Session, person: _Person, report: ErasureReport) -> None:
    """Their quarantined rows: of one of their records, or naming them in the raw row."""
    from healthai.sources import SOURCES  # sources import the pipeline: resolve at call time

    found: dict[int, QuarantinedRow] = {}
    for sha, records in person.records.items():
        listed = sorted(records)
        for lo in range(0, len(listed), CHUNK):
            stmt = select(QuarantinedRow).where(
                QuarantinedRow.source_sha256 == sha,
                QuarantinedRow.source_record.in_(listed[lo : lo + CHUNK]),
            )
            found |= {q.id: q for q in session.scalars(stmt)}
    headers: Headers = {}
    sources = session.scalars(select(Source)).all()
    keyed = {s.id: SOURCES[s.name] for s in sources if s.name in SOURCES}
    for source_id, spec in keyed.items():
        if spec.person_key is None:
            continue
        stmt = (
            select(QuarantinedRow)
            .where(QuarantinedRow.source_id == source_id)
            .execution_options(yield_per=CHUNK)
        )
        chunk: list[QuarantinedRow] = []
        for row in session.scalars(stmt):
            chunk.append(row)
            if len(chunk) == CHUNK:
                found |= _matching(session, chunk, spec, person.key, headers)
                chunk = []
        if chunk:
            found |= _matching(session, chunk, spec, person.key, headers)
    for row in found.values():
        person.records[row.source_sha256].add(row.source_record)
        person.quarantine_ids.add(row.id)
        if row.status != "requeued":  # a requeued record is counted by its new batch
            person.quarantined[row.run_id] += 1
    ids = sorted(person.quarantine_ids)
    for lo in range(0, len(ids), CHUNK):
        part = ids[lo : lo + CHUNK]
        quarantine = metadata.tables["quarantined_rows"]
        for child in _children_of(quarantine):
            fk = next(c for c in child.columns if _refers(c, quarantine))
            session.execute(delete(child).where(fk.in_(part)))
        session.execute(delete(QuarantinedRow).where(QuarantinedRow.id.in_(part)))
    if ids:
        report.rows["quarantine:quarantined_rows"] += len(ids)


def _matching(
    session: Session, rows: list[QuarantinedRow], spec: Any, key: str, headers: Headers
) -> dict[int, QuarantinedRow]:
    keys = _keys_of(session, rows, spec, headers)
    return {r.id: r for r, k in zip(rows, keys, strict=True) if k == key}


def _refers(column: Any, table: Table) -> bool:
    return any(fk.column.table is table for fk in column.foreign_keys)


def _children_of(table: Table) -> list[Table]:
    return [t for t in metadata.sorted_tables if any(_refers(c, table) for c in t.columns)]


def _account(session: Session, person: _Person, report: ErasureReport) -> None:
    """Their records move to `rows_erased` on the runs that counted them."""
    moves: dict[int, Counter[str]] = defaultdict(Counter)
    for category, batches in (("published", person.published), ("pending", person.pending)):
        stmt = select(Batch.id, Batch.run_id).where(Batch.id.in_(list(batches)))
        runs = {batch_id: run_id for batch_id, run_id in session.execute(stmt)}
        for batch_id, records in batches.items():
            run_id = runs.get(batch_id)
            if run_id is not None:
                moves[run_id][category] += len(records)
    for run_id, n in person.quarantined.items():
        moves[run_id]["quarantined"] += n
    for run_id, counts in moves.items():
        total = sum(counts.values())
        session.execute(
            update(IngestionRun)
            .where(IngestionRun.id == run_id)
            .values(
                rows_published=IngestionRun.rows_published - counts["published"],
                rows_pending=IngestionRun.rows_pending - counts["pending"],
                rows_quarantined=IngestionRun.rows_quarantined - counts["quarantined"],
                rows_erased=IngestionRun.rows_erased + total,
            )
        )
        report.runs[run_id] = total


def _scrub_audit(session: Session, person: _Person, report: ErasureReport) -> None:
    """Entries about their rows keep who did what and when, not the values nor the ids."""
    targets = {"users": {person.user_id}, **person.row_ids}
    targets["quarantined_rows"] = person.quarantine_ids
    for entity, ids in targets.items():
        listed = sorted(ids)
        for lo in range(0, len(listed), CHUNK):
            result = session.execute(
                update(AuditLog)
                .where(AuditLog.entity == entity, AuditLog.entity_id.in_(listed[lo : lo + CHUNK]))
                .values(
                    entity_id=0,
                    before=None,
                    after=None,
                    comment=f"erased with its person (erasure {report.erasure_id})",
                )
            )
            report.audit_entries += result.rowcount or 0  # type: ignore[attr-defined]


def _json_in(session: Session, path: tuple[str, ...], values: list[int]) -> ColumnElement[bool]:
    """The access log entries whose `detail` holds one of these ids at `path` (SQLite's
    json_extract gives numbers, PostgreSQL's ->> text)."""
    element = PersonalDataAccess.detail[path]
    if session.get_bind().dialect.name == "sqlite":
        return element.as_integer().in_(values)
    return element.as_string().in_([str(v) for v in values])


def _scrub_access(session: Session, person: _Person, report: ErasureReport) -> None:
    """Entries naming them or one of their rows keep who read what and when, not whom."""
    targets = {"users": {person.user_id}, **person.row_ids}
    targets["quarantined_rows"] = person.quarantine_ids
    found: dict[int, PersonalDataAccess] = {}
    by_filter = _json_in(session, ("filters", "user_id"), [person.user_id])
    found |= {e.id: e for e in session.scalars(select(PersonalDataAccess).where(by_filter))}
    for resource, ids in targets.items():
        listed = sorted(ids)
        for lo in range(0, len(listed), CHUNK):
            stmt = select(PersonalDataAccess).where(
                PersonalDataAccess.resource == resource,
                _json_in(session, ("id",), listed[lo : lo + CHUNK]),
            )
            found |= {e.id: e for e in session.scalars(stmt)}
    for entry in found.values():
        detail = dict(entry.detail or {})
        detail.pop("id", None)
        filters = dict(detail.get("filters") or {})
        if filters.pop("user_id", None) is not None:
            detail["filters"] = {**filters, "user_id": ERASED}
        detail["erased"] = report.erasure_id
        entry.detail = detail
        entry.path = re.sub(r"/\d+(?=/|$)", "/" + ERASED, entry.path)
    report.access_entries = len(found)


# ----------------------------------------------------------------------------- files
def _files(session: Session, person: _Person, report: ErasureReport, settings: Settings) -> None:
    """Every file holding one of their records, rewritten with those records blanked."""
    from healthai.sources import SOURCES

    names = dict(session.execute(select(Source.id, Source.name)).all())
    stored: dict[int, RawFile] = {}
    shas = [s for s in person.records if s]
    for lo in range(0, len(shas), CHUNK):
        stmt = select(RawFile).where(RawFile.sha256.in_(shas[lo : lo + CHUNK]))
        stored |= {f.id: f for f in session.scalars(stmt)}
    # files where a row of theirs may hide outside lineage: a duplicate, a rolled-back batch
    suspects = select(IngestionRun.raw_file_id).where(IngestionRun.rows_duplicate > 0)
    rolled = select(Batch.raw_file_id).where(Batch.status == "rolled_back")
    keyed = [i for i, n in names.items() if n in SOURCES and SOURCES[n].person_key]
    stmt = select(RawFile).where(
        RawFile.source_id.in_(keyed), or_(RawFile.id.in_(suspects), RawFile.id.in_(rolled))
    )
    stored |= {f.id: f for f in session.scalars(stmt)}
    seen: set[Path] = set()
    touched: set[str] = set()  # sources with a file rewritten
    for raw in stored.values():
        spec = SOURCES.get(names[raw.source_id])
        path = Path(raw.stored_path)
        if spec is None or not path.exists():
            continue
        records = {int(r) for r in person.records.get(raw.sha256, ()) if str(r).isdigit()}
        records |= _named(path, spec, person.key)
        fingerprints = {raw.sha256, raw.content_sha256} - {None}
        copies = [p for p in _landing_files(spec, settings) if landing.sha256_of(p) in fingerprints]
        seen |= {path, *copies}
        if not records:
            continue
        try:
            content = redact.redact(path, spec, records)
        except redact.CannotRedact as exc:
            report.left.append(f"{raw.original_name}: {exc}")
            continue
        _replace(path, content, mode=0o444)
        raw.content_sha256 = hashlib.sha256(content).hexdigest()
        touched.add(spec.name)
        report.files.append(f"raw store: {spec.name}/{path.name}")
        for copy in copies:
            _replace(copy, content)
            report.files.append(f"landing zone: {spec.name}/{copy.name}")
        for shipped in sorted(settings.raw_dir.glob(spec.location)):
            if shipped.is_file() and landing.sha256_of(shipped) in fingerprints:
                report.left.append(
                    f"raw/{shipped.relative_to(settings.raw_dir)}: a shipped, read-only input "
                    "of the repository (not rewritten)"
                )
    # files waiting in the landing zone, not ingested yet
    for spec in (SOURCES[n] for n in names.values() if n in SOURCES and SOURCES[n].person_key):
        for path in _landing_files(spec, settings):
            if path in seen:
                continue
            records = _named(path, spec, person.key)
            if not records:
                continue
            try:
                _replace(path, redact.redact(path, spec, records))
            except redact.CannotRedact as exc:
                report.left.append(f"landing zone: {spec.name}/{path.name}: {exc}")
                continue
            report.files.append(f"landing zone: {spec.name}/{path.name}")
            touched.add(spec.name)
    _reports(touched, report, settings)
    session.flush()


def _reports(sources: set[str], report: ErasureReport, settings: Settings) -> None:
    """The profiling reports of the sources whose files held them: removed (they show sample
    rows of those files); the next profiling of the source reads the rewritten file."""
    from healthai.quality.profiling import report_files

    for name in sorted(sources):
        for path in report_files(name, settings.reports_dir):
            if path.is_file():
                path.unlink()
                report.files.append(f"profiling report removed: {path.name}")


def _landing_files(spec: Any, settings: Settings) -> list[Path]:
    folder = settings.landing_dir / spec.name
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _named(path: Path, spec: Any, key: str) -> set[int]:
    """Records of the file whose raw row names the person (`person_key`)."""
    if spec.person_key is None:
        return set()
    found: set[int] = set()
    try:
        for part in iter_source(path, spec, CHUNK * 20):
            frame = spec.normalise(part.frame.copy())
            keys = spec.person_key(frame)
            found |= {int(r) for r in frame.loc[keys.to_numpy() == key, "_record"]}
    except Exception as exc:  # noqa: BLE001 - a file the source cannot read holds no row of theirs
        log.warning("erasure_unreadable_file", file=path.name, source=spec.name, error=str(exc))
    return found


def _replace(path: Path, content: bytes, mode: int | None = None) -> None:
    """Write `content` in place of the file, atomically (read-only files stay read-only)."""
    tmp = path.with_name(f".{path.name}.erasing")
    tmp.write_bytes(content)
    os.chmod(tmp, mode if mode is not None else path.stat().st_mode & 0o777)
    tmp.replace(path)


def _consolidated(person: _Person, report: ErasureReport, settings: Settings) -> None:
    from healthai.pipeline import consolidated

    removed = consolidated.forget(settings.var_dir / "consolidated", settings, person.user_id)
    for table, n in removed.items():
        report.rows[f"consolidated:{table}"] += n
        report.files.append(f"consolidated: {table}")
