"""Duplicates by content, across files and runs (issue #13, finding 3).

Rows already published or waiting in another batch count as duplicates whichever file brings
them again: two byte-different files with the same rows give one publication. Within one
file, `ingest.clean` already counts a repeated natural key; here, once a file's rows are in
staging, set-based queries compare them with the published rows and with the staged rows of
every other pending batch (staged, audited or approved), table by table, on the table's key:

- its natural key (users.external_key, foods.code, ...) or first unique key (a user's day of
  activity, a measurement's user, metric and time, ...);
- for a table with no key (a meal, an app session, a survey answer), the whole row: a row with
  the same values is the same row;
- biometric readings (one row per user and time, a column per metric) metric by metric: a
  measurement's key is (user, metric, time), so a reading whose every measurement is known is
  known, one with a known measurement of another value is in conflict, and one adding metrics
  to a known time keeps only the new ones.

Then, per source record:

- its row of the source's primary table (a gym member, a food) is known: the record is a
  duplicate (its other rows go with it);
- an entity it brings along (the user of a meal log) is known: that row is dropped, the record's
  facts refer to the known one;
- a fact of it is known with the same values: the fact is dropped; when every fact of the
  record was known, the record is a duplicate;
- a fact of it is known with OTHER values (the same user and day, another step count): the
  record is quarantined with `conflicts_with_existing`, never published over the other.

The run's counts move accordingly (pending -> duplicate / quarantined) and a batch left empty
is not kept. The audit's `publishable` check proves the same rule again on what remains.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Table, and_, case, delete, exists, func, select, update
from sqlalchemy.orm import Session

from healthai.models import NATURAL_KEYS, PUBLISHED, STAGING, Batch, IngestionRun, User
from healthai.models.staging import key_column_name, record_column
from healthai.models.vocab import METRICS
from healthai.pipeline import fastload, rules
from healthai.pipeline.batches import _references, _unique_keys
from healthai.pipeline.contract import Rejected, row_payloads
from healthai.pipeline.readers import RECORD, iter_source
from healthai.pipeline.spec import SourceSpec
from healthai.settings import get_settings

PENDING = ("staged", "audited", "approved")
LINEAGE = {
    "id",
    "batch_id",
    "source_sha256",
    "source_record",
    "record",
    "created_at",
    "since_version",
}
READINGS = "biometric_readings"  # wide: compared metric by metric


@dataclass
class Settled:
    """What the comparison found in one batch (records counted once)."""

    duplicates: set[str] = field(default_factory=set)
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)  # record -> reason
    rows_dropped: dict[str, int] = field(default_factory=dict)  # table -> staged rows removed
    partial: dict[int, list[str]] = field(default_factory=dict)  # reading -> known metrics


def _columns(core: Table) -> list[str]:
    stg = STAGING[core.name]
    refs = {fk for fk, _, _ in _references(core)}
    return [
        c.name
        for c in core.columns
        if c.name not in LINEAGE
        and (key_column_name(c.name) if c.name in refs else c.name) in stg.c
    ]


def table_key(core: Table) -> list[str]:
    """The columns that identify a row of `core`: its natural key, its first unique key, or
    (no key) all its columns."""
    if core.name in NATURAL_KEYS:
        return [NATURAL_KEYS[core.name]]
    keys = [k for k in _unique_keys(core) if "batch_id" not in k]
    return keys[0] if keys else _columns(core)


def _staged(core: Table, stg: Any, name: str) -> Any:
    """The staged column holding `core.name` (a foreign key is staged as the natural key)."""
    refs = {fk for fk, _, _ in _references(core)}
    return stg.c[key_column_name(name)] if name in refs else stg.c[name]


def _same(left: list[Any], right: list[Any]) -> Any:
    return case((and_(*(a.is_not_distinct_from(b) for a, b in zip(left, right, strict=True))), 1))


def _against_published(session: Session, core: Table, batch_id: int) -> list[tuple]:
    """(staging_id, record, same values) of the batch's rows whose key is published."""
    if session.scalar(select(exists().select_from(core))) is False:
        return []
    stg = STAGING[core.name]
    key, values = table_key(core), _columns(core)
    joined: Any = stg
    resolved = {}
    for fk, target, natural in _references(core):
        ref = target.alias(f"ref_{fk}")
        joined = joined.outerjoin(ref, ref.c[natural] == stg.c[key_column_name(fk)])
        resolved[fk] = ref.c.id
    rows = (
        select(
            stg.c.staging_id,
            stg.c[record_column(stg)].label("record"),
            *((resolved[c] if c in resolved else stg.c[c]).label(c) for c in values),
        )
        .select_from(joined)
        .where(stg.c.batch_id == batch_id)
        .subquery("rows")
    )
    published = core.alias("published")
    query = select(
        rows.c.staging_id,
        rows.c.record,
        _same([rows.c[c] for c in values], [published.c[c] for c in values]),
    ).join(published, and_(*(published.c[c] == rows.c[c] for c in key)))
    return [(i, str(r), same) for i, r, same in session.execute(query)]


def _against_pending(session: Session, core: Table, batch_id: int) -> list[tuple]:
    """(staging_id, record, same values) of the batch's rows whose key is staged in another
    pending batch."""
    stg = STAGING[core.name]
    others = (
        select(stg.c.batch_id)
        .join(Batch, Batch.id == stg.c.batch_id)
        .where(stg.c.batch_id != batch_id, Batch.status.in_(PENDING))
    )
    if not session.scalar(select(exists(others))):
        return []
    mine, other = stg.alias("mine"), stg.alias("other")
    key, values = table_key(core), _columns(core)
    query = (
        select(
            mine.c.staging_id,
            mine.c[record_column(stg)],
            _same(
                [_staged(core, mine, c) for c in values],
                [_staged(core, other, c) for c in values],
            ),
        )
        .join(other, and_(*(_staged(core, other, c) == _staged(core, mine, c) for c in key)))
        .join(Batch, Batch.id == other.c.batch_id)
        .where(
            mine.c.batch_id == batch_id,
            other.c.batch_id != batch_id,
            Batch.status.in_(PENDING),
        )
    )
    return [(i, str(r), same) for i, r, same in session.execute(query)]


def _scan_pending(scan: Any, stg: Any, mine: Any, batch_id: int) -> None:
    """`_readings`' comparison with the readings staged in other pending batches."""
    other = stg.alias("other")
    scan(
        other, fastload.same_readings_elsewhere(mine, other, batch_id), [Batch.status.in_(PENDING)]
    )


def _readings(session: Session, batch_id: int) -> tuple[list[tuple], dict[int, list[str]]]:
    """The batch's staged readings compared metric by metric with the published readings and
    those staged in other pending batches of the same user and time: (staging_id, record,
    same) for the readings whose every measurement is known (same) or one is known with
    another value (not same); and staging_id -> the known metrics of a reading that also
    brings new ones (they are left out of it)."""
    stg = STAGING[READINGS]
    core = next(t for t in PUBLISHED if t.name == READINGS)
    mine = stg.alias("mine")
    users = User.__table__
    flags: dict[int, tuple[str, set[str], set[str], set[str]]] = {}

    def scan(other: Any, joined: Any, where: list[Any]) -> None:
        columns = []
        for m in METRICS:
            both = and_(mine.c[m].is_not(None), other.c[m].is_not(None))
            columns += [
                func.max(case((and_(both, mine.c[m] == other.c[m]), 1), else_=0)).label(f"k_{m}"),
                func.max(case((and_(both, mine.c[m] != other.c[m]), 1), else_=0)).label(f"c_{m}"),
            ]
        query = (
            select(mine.c.staging_id, mine.c.record, *columns)
            .select_from(joined)
            .where(mine.c.batch_id == batch_id, *where)
            .group_by(mine.c.staging_id, mine.c.record)
        )
        for row in session.execute(query).mappings():
            record, known, clash, _ = flags.get(
                row["staging_id"], (str(row["record"]), set(), set(), set())
            )
            known |= {m for m in METRICS if row[f"k_{m}"]}
            clash |= {m for m in METRICS if row[f"c_{m}"]}
            flags[row["staging_id"]] = (record, known, clash, set())

    if session.scalar(select(exists().select_from(core))):
        live = core.alias("live")
        scan(
            live,
            mine.join(users, users.c.external_key == mine.c.user_key).join(
                live, and_(live.c.user_id == users.c.id, live.c.measured_at == mine.c.measured_at)
            ),
            [],
        )
    # the other pending batches' staged readings, when there are any (a loose index scan
    # tells, instead of a join of this batch's rows with none)
    if fastload.others_staged(session, batch_id, PENDING):
        _scan_pending(scan, stg, mine, batch_id)
    if not flags:
        return [], {}
    present: dict[int, set[str]] = {}
    ids = sorted(flags)
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(stg.c.staging_id, *(stg.c[m] for m in METRICS)).where(
                stg.c.staging_id.in_(ids[start : start + 1000])
            )
        ).mappings()
        present |= {r["staging_id"]: {m for m in METRICS if r[m] is not None} for r in rows}
    matches: list[tuple[int, str, int | None]] = []
    partial: dict[int, list[str]] = {}
    for staging_id, (record, known, clash, _) in flags.items():
        if clash:
            matches.append((staging_id, record, None))
        elif known >= present.get(staging_id, set()):
            matches.append((staging_id, record, 1))
        elif known:
            partial[staging_id] = sorted(known)
    return matches, partial


def find(session: Session, spec: SourceSpec, batch_id: int) -> tuple[Settled, dict]:
    """What of the batch is already published or pending: the records that are duplicates,
    the records in conflict, and the staged rows to drop (table -> staging ids)."""
    found = Settled()
    drop: dict[str, set[int]] = defaultdict(set)
    facts: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for core in PUBLISHED:
        stg = STAGING[core.name]
        if not session.scalar(select(exists().where(stg.c.batch_id == batch_id))):
            continue
        if core.name == READINGS:
            matches, partial = _readings(session, batch_id)
            found.partial |= partial
        else:
            matches = _against_published(session, core, batch_id)
            matches += _against_pending(session, core, batch_id)
        entity = core.name in NATURAL_KEYS and core.name != spec.primary_table
        for staging_id, record, same in matches:
            if core.name == spec.primary_table:
                found.duplicates.add(record)
            elif entity or same:
                drop[core.name].add(staging_id)
                if not entity:
                    facts[record][core.name].add(staging_id)
            else:
                key = (
                    "user_id, metric, measured_at"
                    if core.name == READINGS
                    else ", ".join(table_key(core))
                )
                found.conflicts.setdefault(
                    record,
                    rules.reason("conflicts_with_existing", None, None, key=key, table=core.name),
                )
    # a record whose every fact is known (and nothing else of it is new) is a duplicate
    if facts:
        records = list(facts)
        for start in range(0, len(records), 1000):
            chunk = records[start : start + 1000]
            counts: dict[str, int] = defaultdict(int)
            for core in PUBLISHED:
                if core.name in NATURAL_KEYS and core.name != spec.primary_table:
                    continue
                stg = STAGING[core.name]
                lineage = stg.c[record_column(stg)]
                wanted = [int(r) for r in chunk] if lineage.name == "record" else chunk
                rows = session.execute(
                    select(lineage, func.count())
                    .where(stg.c.batch_id == batch_id, lineage.in_(wanted))
                    .group_by(lineage)
                )
                for record, n in rows:
                    counts[str(record)] += n
            for record in chunk:
                known = sum(len(ids) for ids in facts[record].values())
                if known >= counts[record] and record not in found.conflicts:
                    found.duplicates.add(record)
    found.conflicts = {r: v for r, v in found.conflicts.items() if r not in found.duplicates}
    return found, drop


def _deleted(session: Session, statement: Any) -> int:
    result: CursorResult = session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount or 0)


def settle(
    session: Session, spec: SourceSpec, batch: Batch, run: IngestionRun, path: Path
) -> Settled:
    """Drop from the batch what is already published or pending elsewhere, quarantine the
    records in conflict (their untouched rows read again from `path`), and move the run's and
    the batch's counts. The caller deletes the batch when `batch.rows_staged` falls to 0."""
    found, drop = find(session, spec, batch.id)
    gone = found.duplicates | set(found.conflicts)
    for core in PUBLISHED:
        stg = STAGING[core.name]
        n = 0
        lineage = stg.c[record_column(stg)]
        gone_list = sorted(int(r) for r in gone) if lineage.name == "record" else sorted(gone)
        for start in range(0, len(gone_list), 1000):
            n += _deleted(
                session,
                delete(stg).where(
                    stg.c.batch_id == batch.id, lineage.in_(gone_list[start : start + 1000])
                ),
            )
        ids = sorted(drop.get(core.name, set()))
        for start in range(0, len(ids), 1000):
            n += _deleted(
                session, delete(stg).where(stg.c.staging_id.in_(ids[start : start + 1000]))
            )
        if n:
            found.rows_dropped[core.name] = n
    readings = STAGING[READINGS]
    for staging_id, metrics in found.partial.items():  # keep only the new measurements
        session.execute(
            update(readings)
            .where(readings.c.staging_id == staging_id)
            .values(dict.fromkeys(metrics))
        )
    if found.conflicts:
        _quarantine_conflicts(session, spec, batch, run, path, found.conflicts)
    moved = len(found.duplicates) + len(found.conflicts)
    if moved or found.rows_dropped:
        batch.rows_staged -= moved
        batch.rows_by_table = {
            t: n - found.rows_dropped.get(t, 0)
            for t, n in (batch.rows_by_table or {}).items()
            if n - found.rows_dropped.get(t, 0) > 0
        }
        run.rows_duplicate += len(found.duplicates)
        run.rows_quarantined += len(found.conflicts)
        run.rows_pending -= moved
    return found


def _quarantine_conflicts(
    session: Session,
    spec: SourceSpec,
    batch: Batch,
    run: IngestionRun,
    path: Path,
    conflicts: dict[str, dict[str, Any]],
) -> None:
    from healthai.pipeline.ingest import Landed, _quarantine

    raws: dict[str, dict[str, Any]] = {}
    for part in iter_source(path, spec, get_settings().ingest_chunk_rows):
        frame = part.frame[part.frame[RECORD].astype(str).isin(set(conflicts))]
        payloads = row_payloads(frame, list(frame.index))
        raws |= {str(frame.at[i, RECORD]): payloads[i] for i in frame.index}
    landed = Landed(spec.name, run.id, path, batch.source_sha256 or "", batch.created_at)
    rejected = []
    for record, reason in sorted(conflicts.items()):
        value = int(record) if record.isdigit() else record
        rejected.append(Rejected(record=value, raw=raws.get(record, {}), reasons=[reason]))
    linked = _quarantine(session, run.source_id, landed, rejected)
    if linked:  # the same conflicting row already in quarantine: a duplicate of this run
        run.rows_quarantined -= linked
        run.rows_duplicate += linked


CLAIMED = fastload.CLAIMED


def pending_collisions(session: Session, batch_id: int) -> dict[str, int]:
    """For the audit: the batch's staged rows whose natural or unique key is held by another
    audited or approved batch, per table and key ({label: rows}). Publishing both would fail
    on the database's unique constraint (or publish the same thing twice)."""
    found: dict[str, int] = {}
    for core in PUBLISHED:
        stg = STAGING[core.name]
        keys = (
            [[NATURAL_KEYS[core.name]]]
            if core.name in NATURAL_KEYS
            else [k for k in _unique_keys(core) if "batch_id" not in k]
        )
        if not keys or not session.scalar(select(exists().where(stg.c.batch_id == batch_id))):
            continue
        mine, other = stg.alias("mine"), stg.alias("other")
        for key in keys:
            n = session.scalar(
                select(func.count())
                .select_from(mine)
                .where(
                    mine.c.batch_id == batch_id,
                    exists()
                    .where(
                        *(_staged(core, other, c) == _staged(core, mine, c) for c in key),
                        other.c.batch_id != batch_id,
                        Batch.id == other.c.batch_id,
                        Batch.status.in_(CLAIMED),
                    )
                    .select_from(other.join(Batch, Batch.id == other.c.batch_id)),
                )
            )
            if n:
                found[f"{core.name}({', '.join(key)}) already pending in another batch"] = int(n)
    return found
