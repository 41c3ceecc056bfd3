"""A batch's life: audit -> approve | reject -> publish -> (rollback). Every transition is a
move of the life cycle (`healthai.pipeline.lifecycle`: one conditional update, who and when in
the batch and in the audit log), made before the work it stands for, in the same transaction:
of two simultaneous decisions one moves the batch, the other gets `StateConflict` (409). The
caller commits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    PrimaryKeyConstraint,
    Select,
    Table,
    UniqueConstraint,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from healthai.access import check_four_eyes
from healthai.models import (
    NATURAL_KEYS,
    PUBLISHED,
    STAGING,
    VOCABULARIES,
    Batch,
    BatchCheck,
    IngestionRun,
    QuarantinedRow,
    metadata,
)
from healthai.models.staging import key_column_name, record_column
from healthai.pipeline import aggregates, fastload, lifecycle, measurements, partitions, versions
from healthai.pipeline.contract import row_payloads
from healthai.pipeline.errors import (
    BatchInUseError,
    BatchStateError,
    NotFoundError,
)
from healthai.pipeline.faults import fault_point
from healthai.pipeline.lifecycle_states import BatchState, sources_of
from healthai.pipeline.readers import RECORD, iter_source
from healthai.privacy import is_personal
from healthai.settings import get_settings

PIPELINE_ACTOR = "pipeline"


def get_batch(session: Session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFoundError(f"batch {batch_id} does not exist")
    return batch


def batch_samples(
    session: Session, batch: Batch, sample: int, people: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Up to `sample` rows per table of a batch: from the published tables once it is
    published, from staging before (rolled back or rejected batches have none). Tables about
    people only when `people` (the reader may read people's data)."""
    samples: dict[str, list[dict[str, Any]]] = {}
    for name in batch.rows_by_table or {}:
        if not people and name in metadata.tables and is_personal(metadata.tables[name]):
            continue
        table = metadata.tables.get(name) if batch.status == "published" else STAGING.get(name)
        if table is None or "batch_id" not in table.c:
            continue
        rows = session.execute(
            select(table).where(table.c.batch_id == batch.id).limit(sample)
        ).mappings()
        samples[name] = [dict(r) for r in rows]
    return samples


def _startable(batch: Batch, action: str) -> None:
    """Refuse early (before any work) a move the batch's state does not allow; the move
    itself checks again, atomically."""
    starts = sources_of("batches", action)
    if batch.status not in starts:
        raise lifecycle.StateConflict(
            f"cannot {action.replace('_', ' ')} batch {batch.id}: it is {batch.status}, "
            f"expected {' or '.join(starts)}",
            batch.status,
        )


def _references(core: Table) -> list[tuple[str, Table, str]]:
    """(fk column, referenced table, natural key column) for FKs resolved at publication."""
    refs = []
    for col in core.columns:
        for fk in col.foreign_keys:
            target = fk.column.table
            if target.name in NATURAL_KEYS:
                refs.append((col.name, target, NATURAL_KEYS[target.name]))
    return refs


def _resolved(core: Table, batch_id: int) -> tuple[list[str], Select]:
    """The columns of `core` and the SELECT that yields them from the batch's staged rows,
    natural keys resolved into ids by LEFT JOINs (hash joins on PostgreSQL; an unresolved key
    gives NULL, which the NOT NULL constraints and the audit catch)."""
    stg = STAGING[core.name]
    refs = {fk: (target, key) for fk, target, key in _references(core)}
    joined: Any = stg
    names, exprs = [], []
    for col in core.columns:
        if col.name in ("id", "since_version"):
            continue
        if col.name in refs:
            target, key = refs[col.name]
            ref = target.alias(f"ref_{col.name}")
            joined = joined.outerjoin(ref, ref.c[key] == stg.c[key_column_name(col.name)])
            exprs.append(ref.c.id.label(col.name))
        else:
            exprs.append(_staged_value(core, stg, col.name, batch_id).label(col.name))
        names.append(col.name)
    return names, select(*exprs).select_from(joined).where(stg.c.batch_id == batch_id)


def _grow_vocabularies(session: Session, core: Table, batch_id: int) -> None:
    stg = STAGING[core.name]
    for fk_col, target, key in _references(core):
        if target.name in VOCABULARIES:
            kcol = stg.c[key_column_name(fk_col)]
            missing = (
                select(kcol)
                .where(stg.c.batch_id == batch_id, kcol.is_not(None))
                .where(~exists().where(target.c[key] == kcol))
                .distinct()
            )
            session.execute(insert(target).from_select([key], missing))


def _insert_from_staging(session: Session, core: Table, batch_id: int) -> int:
    if core is fastload.readings and fastload.publish(session, batch_id):
        # built at audit, attached now: no row is read or copied
        return int((get_batch(session, batch_id).rows_by_table or {}).get(core.name, 0))
    stg = STAGING[core.name]
    where = stg.c.batch_id == batch_id
    count = session.scalar(select(func.count()).select_from(stg).where(where)) or 0
    if not count:
        return 0
    _grow_vocabularies(session, core, batch_id)
    partitions.ensure_partition(session, core, batch_id)
    names, rows = _resolved(core, batch_id)
    session.execute(insert(core).from_select(names, rows))
    session.execute(delete(stg).where(where))
    return count


def _publish_rows(session: Session, batch: Batch) -> dict[str, int]:
    return {
        core.name: n for core in PUBLISHED if (n := _insert_from_staging(session, core, batch.id))
    }


def _retire_rows(session: Session, batch: Batch) -> None:
    """Move a batch's published rows out of the live tables into their history twins (kept
    for as-of reads of the versions it was part of), children before parents."""
    for core in reversed(PUBLISHED):
        if "batch_id" not in core.c:
            continue
        where = core.c.batch_id == batch.id
        versions.keep_history(session, core, where, None)
        if partitions.partitioned(session, core):
            partitions.drop_batch(session, core, batch.id)
        else:
            session.execute(delete(core).where(where))


def _unique_keys(core: Table) -> list[list[str]]:
    """Column sets that the database keeps unique (surrogate `id` left out)."""
    keys = [
        [c.name for c in con.columns]
        for con in core.constraints
        if isinstance(con, UniqueConstraint | PrimaryKeyConstraint)
    ]
    keys += [[c.name for c in ix.columns] for ix in core.indexes if ix.unique]
    return [k for k in keys if k != ["id"]]


def _staged_value(core: Table, stg: Table, name: str, batch_id: int) -> Any:
    """What becomes `core.name`: the staged column (the natural key for a foreign key), or
    for the source fingerprint, the batch's (one value for all its rows)."""
    if name == "source_sha256":
        return select(Batch.source_sha256).where(Batch.id == batch_id).scalar_subquery()
    if name in {fk for fk, _, _ in _references(core)}:
        return stg.c[key_column_name(name)]
    return stg.c[name]


def publication_violations(session: Session, batch_id: int) -> dict[str, int]:
    """What would make publishing this batch fail a database constraint, found with set-based
    queries instead of a trial INSERT: for each published table, the staged rows of the batch
    that would leave a NOT NULL column empty (a missing value or a key that does not resolve),
    break a CHECK constraint, repeat a unique key inside the batch or collide with a published
    row's unique key, or with the key of a row another audited or approved batch holds (two
    byte-different files with the same rows). Returns {"table.constraint": rows}; empty when
    publishable."""
    from healthai.pipeline.duplicates import pending_collisions

    built = fastload.is_built(session, batch_id)
    found: dict[str, int] = measurements.key_violations(session, batch_id, built)
    found |= pending_collisions(session, batch_id)

    def note(label: str, stmt: Select) -> None:
        if n := session.scalar(stmt):
            found[label] = int(n)

    for core in PUBLISHED:
        stg = STAGING[core.name]
        in_batch = stg.c.batch_id == batch_id
        if core is fastload.readings and built:
            continue  # its constraints hold in its built table (healthai.pipeline.fastload)
        if not session.scalar(select(exists().where(in_batch))):
            continue
        names, resolved = _resolved(core, batch_id)
        rows = resolved.subquery("rows")
        # NOT NULL columns left empty: a missing value, or a reference that resolves neither
        # to a published row (the same LEFT JOINs as publication) nor to one staged in this
        # batch; one pass
        refs = {fk: (target, key) for fk, target, key in _references(core)}
        joined: Any = stg
        empty: dict[str, Any] = {}
        for col in core.columns:
            if col.name == "id" or col.nullable or col.name not in names:
                continue
            value = _staged_value(core, stg, col.name, batch_id)
            test = value.is_(None)
            if col.name in refs and refs[col.name][0].name not in VOCABULARIES:
                target, key = refs[col.name]
                ref = target.alias(f"ref_{col.name}")
                joined = joined.outerjoin(ref, ref.c[key] == value)
                test = ref.c.id.is_(None)
                co_staged = STAGING.get(target.name)
                if co_staged is not None:
                    test = and_(
                        test,
                        or_(
                            value.is_(None),
                            ~exists().where(
                                co_staged.c[key] == value, co_staged.c.batch_id == batch_id
                            ),
                        ),
                    )
            empty[f"{core.name}.{col.name} not null"] = test
        # CHECK constraints, over the staged columns alone (their names are the table's):
        # NOT (check) is true only where the check is false (NULL passes, as in SQL)
        broken = {
            f"{core.name}.{con.name}": not_(literal_column(f"({con.sqltext})", Boolean()))
            for con in core.constraints
            if isinstance(con, CheckConstraint)
        }
        for tests, source in ((empty, joined), (broken, stg)):
            if tests:
                counts = session.execute(
                    select(*(func.count(case((t, 1))) for t in tests.values()))
                    .select_from(source)
                    .where(in_batch)
                ).one()
                found.update({k: int(n) for k, n in zip(tests, counts, strict=True) if n})
        for key in _unique_keys(core):
            staged = [_staged_value(core, stg, c, batch_id) for c in key]
            dupes = (
                select(*staged)
                .where(in_batch, *(c.is_not(None) for c in staged))
                .group_by(*staged)
                .having(func.count() > 1)
                .subquery()
            )
            note(
                f"{core.name}({', '.join(key)}) repeated in the batch",
                select(func.count()).select_from(dupes),
            )
            published = core.alias("published")
            note(
                f"{core.name}({', '.join(key)}) already published",
                select(func.count()).select_from(
                    rows.join(published, and_(*(published.c[c] == rows.c[c] for c in key)))
                ),
            )
    return found


# ---------------------------------------------------------------- audit
def audit(
    session: Session, batch: Batch, soft: dict[str, tuple[str, int]] | None = None
) -> list[BatchCheck]:
    """Run the blocking audit checks on a staged batch; record each result on the batch.

    - rows_add_up: every input record is quarantined, a duplicate, or staged here;
    - references_resolve: every reference names a published row or one staged in this batch;
    - publishable: publication would pass every database constraint (NOT NULL, CHECK, unique
      keys inside the batch and against published rows), proven by set-based queries.
    Soft rules (non-blocking) come from the source: (description, rows flagged).
    """
    _startable(batch, "audit")
    results: list[tuple[str, str, bool, bool, dict[str, Any]]] = []
    run = session.get(IngestionRun, batch.run_id) if batch.run_id else None
    if run is not None:
        accounted = (
            run.rows_quarantined
            + run.rows_duplicate
            + run.rows_pending
            + run.rows_published
            + run.rows_erased
        )
        results.append(
            (
                "rows_add_up",
                "Rows in = published + quarantined + duplicates + staged + erased.",
                accounted == run.rows_in,
                True,
                {
                    "rows_in": run.rows_in,
                    "quarantined": run.rows_quarantined,
                    "duplicates": run.rows_duplicate,
                    "staged": run.rows_pending,
                    "published": run.rows_published,
                    "erased": run.rows_erased,
                },
            )
        )
    fault_point("audit")
    # PostgreSQL: the readings built as their partition-to-be, their checks and keys proven
    # by the database set-based (publication_violations then leaves them out); a built
    # batch's every reading resolved its user (the build refuses one that does not)
    built = fastload.build(session, batch.id)
    unresolved: dict[str, int] = {}
    for core in PUBLISHED:
        stg = STAGING[core.name]
        if built and core is fastload.readings:
            continue
        for fk_col, target, key in _references(core):
            if target.name in VOCABULARIES:
                continue
            kcol = stg.c[key_column_name(fk_col)]
            same_batch = STAGING.get(target.name)
            cond = ~exists().where(target.c[key] == kcol)
            if same_batch is not None:
                cond = cond & ~exists().where(
                    same_batch.c[key] == kcol, same_batch.c.batch_id == batch.id
                )
            n = session.scalar(
                select(func.count())
                .select_from(stg)
                .where(stg.c.batch_id == batch.id, kcol.is_not(None), cond)
            )
            if n:
                unresolved[f"{core.name}.{fk_col}"] = n
    results.append(
        (
            "references_resolve",
            "Every reference names an existing or co-staged row.",
            not unresolved,
            True,
            {"unresolved": unresolved},
        )
    )
    violations = publication_violations(session, batch.id)
    error = (
        "; ".join(f"{label}: {n} row(s)" for label, n in sorted(violations.items()))[:500]
        if violations
        else None
    )
    results.append(
        (
            "publishable",
            "Publication passes every database constraint.",
            error is None,
            True,
            {"error": error, "violations": violations},
        )
    )
    for name, (description, flagged) in (soft or {}).items():
        results.append(
            (f"soft:{name}", description, flagged == 0, False, {"rows_flagged": flagged})
        )
    session.execute(delete(BatchCheck).where(BatchCheck.batch_id == batch.id))
    checks = [
        BatchCheck(batch_id=batch.id, name=n, description=d, passed=p, blocking=b, observed=o)
        for n, d, p, b, o in results
    ]
    session.add_all(checks)
    passed = all(c.passed for c in checks if c.blocking)
    target = BatchState.AUDITED if passed else BatchState.AUDIT_FAILED
    session.flush()
    lifecycle.move_batch(
        session, batch, "audit", target, PIPELINE_ACTOR, values={"audited_at": datetime.now(UTC)}
    )
    if built and not passed:
        fastload.drop(session, batch.id)
    return checks


# ---------------------------------------------------------------- decisions
def approve(session: Session, batch_id: int, actor: str, comment: str | None = None) -> Batch:
    batch = get_batch(session, batch_id)
    _startable(batch, "approve")
    if get_settings().four_eyes:
        check_four_eyes(session, actor, batch_id)  # accounts, not names (healthai.access)
    lifecycle.move_batch(
        session, batch, "approve", BatchState.APPROVED, actor, values=_decided(actor, comment),
        comment=comment,
    )  # fmt: skip
    return batch


def _decided(actor: str, comment: str | None) -> dict[str, Any]:
    return {
        "decided_by": str(actor)[:120],
        "decided_at": datetime.now(UTC),
        "decision_comment": comment,
    }


def reject(session: Session, batch_id: int, actor: str, comment: str) -> Batch:
    """Refuse a batch: its records go to quarantine with the reviewer's reason."""
    if not comment or not comment.strip():
        raise BatchStateError("a rejection needs a comment saying why")
    batch = get_batch(session, batch_id)
    _startable(batch, "reject")
    lifecycle.move_batch(
        session, batch, "reject", BatchState.REJECTED, actor, values=_decided(actor, comment),
        comment=comment,
    )  # fmt: skip
    _quarantine_batch(session, batch, {"rule": "batch_rejected", "column": None, "value": comment})
    fastload.drop(session, batch.id)
    session.flush()
    return batch


def _quarantine_batch(session: Session, batch: Batch, reason: dict[str, Any]) -> None:
    """Move a batch's staged records back to quarantine, with their untouched source rows."""
    from healthai.pipeline.ingest import raw_file
    from healthai.sources import SOURCES  # sources import the pipeline: resolve at call time

    records: set[str] = set()
    for core in PUBLISHED:
        stg = STAGING[core.name]
        lineage = stg.c[record_column(stg)]
        records |= {
            str(r) for r in session.scalars(select(lineage).where(stg.c.batch_id == batch.id))
        }
        session.execute(delete(stg).where(stg.c.batch_id == batch.id))
    requeued = {
        q.source_record: q
        for q in session.scalars(
            select(QuarantinedRow).where(QuarantinedRow.requeued_batch_id == batch.id)
        )
    }
    fresh = records - set(requeued)
    raws: dict[str, dict[str, Any]] = {}
    rf = raw_file(session, batch)
    if fresh and rf is not None:
        spec = SOURCES[batch.source.name]
        path, chunk = Path(rf.stored_path), get_settings().ingest_chunk_rows
        for part in iter_source(path, spec, chunk):
            frame = part.frame[part.frame[RECORD].astype(str).isin(fresh)]
            payloads = row_payloads(frame, list(frame.index))
            raws |= {str(frame.at[i, RECORD]): payloads[i] for i in frame.index}
    for q in requeued.values():
        q.status, q.requeued_batch_id = "open", None
        q.reasons = [*q.reasons, reason]
    for rec in sorted(fresh):
        session.add(
            QuarantinedRow(
                source_id=batch.source_id,
                run_id=batch.run_id,
                source_sha256=rf.sha256 if rf else "",
                source_record=rec,
                raw=raws.get(rec, {}),
                reasons=[reason],
                status="open",
            )
        )
    if batch.run_id:
        session.execute(
            update(IngestionRun)
            .where(IngestionRun.id == batch.run_id)
            .values(
                rows_pending=IngestionRun.rows_pending - len(records),
                rows_quarantined=IngestionRun.rows_quarantined + len(records),
            )
        )


def publish(session: Session, batch_id: int, actor: str) -> Batch:
    """Move an approved batch from staging into the published tables and merge its rows into
    the analytics' aggregates, in the caller's transaction: either every row is published or
    none is."""
    batch = get_batch(session, batch_id)
    _startable(batch, "publish")
    lifecycle.move_batch(
        session, batch, "publish", BatchState.PUBLISHED, actor,
        values={"published_at": datetime.now(UTC)},
    )  # fmt: skip
    _publish_rows(session, batch)
    fault_point("publish", session)
    aggregates.apply_batch(session, batch.id)
    kind = "correction" if _is_correction(session, batch.id) else "publication"
    batch.published_version = versions.bump(session, kind, batch_id=batch.id, actor=actor)
    if batch.run_id:
        session.execute(
            update(IngestionRun)
            .where(IngestionRun.id == batch.run_id)
            .values(
                rows_pending=IngestionRun.rows_pending - batch.rows_staged,
                rows_published=IngestionRun.rows_published + batch.rows_staged,
            )
        )
    session.flush()
    return batch


def rollback(session: Session, batch_id: int, actor: str, comment: str | None = None) -> Batch:
    """Remove exactly the rows a published batch brought (and recompute the aggregates of the
    users they belonged to); refused while other batches' rows still reference them."""
    batch = get_batch(session, batch_id)
    _startable(batch, "rollback")
    blockers: dict[str, int] = {}
    for core in PUBLISHED:
        if "batch_id" not in core.c:
            continue
        ids = select(core.c.id).where(core.c.batch_id == batch.id)
        for other in metadata.sorted_tables:
            if "batch_id" not in other.c or other is core:
                continue
            for col in other.columns:
                if any(fk.column.table is core for fk in col.foreign_keys):
                    n = session.scalar(
                        select(func.count())
                        .select_from(other)
                        .where(col.in_(ids), other.c.batch_id != batch.id)
                    )
                    if n:
                        blockers[f"{other.name}.{col.name}"] = n
    if blockers:
        raise BatchInUseError(
            f"batch {batch_id} is referenced by rows of other batches ({blockers}); "
            "roll those back first"
        )
    lifecycle.move_batch(
        session, batch, "rollback", BatchState.ROLLED_BACK, actor, comment=comment,
        values={"rolled_back_by": str(actor)[:120], "rolled_back_at": datetime.now(UTC)},
    )  # fmt: skip
    users = aggregates.batch_users(session, batch.id)
    _retire_rows(session, batch)
    aggregates.refresh_users(session, users)
    batch.rolled_back_version = versions.bump(session, "rollback", batch_id=batch.id, actor=actor)
    session.flush()
    return batch


def _is_correction(session: Session, batch_id: int) -> bool:
    """Whether the batch re-queues corrected rows from quarantine."""
    q = select(QuarantinedRow.id).where(QuarantinedRow.requeued_batch_id == batch_id)
    return bool(session.scalar(select(exists(q))))


def publish_approved(session: Session, actor: str = PIPELINE_ACTOR) -> list[int]:
    """Publish every approved batch, oldest first."""
    ids = list(
        session.scalars(select(Batch.id).where(Batch.status == "approved").order_by(Batch.id))
    )
    for batch_id in ids:
        publish(session, batch_id, actor)
    return ids


def settle(session: Session) -> dict[str, list[int]]:
    """Bring every batch as far as it may go without a person: audit again the batches whose
    audit failed (their references may now resolve), approve audited batches of trusted
    sources, publish approved batches; repeat while publishing unblocks others."""
    done: dict[str, list[int]] = {"reaudited": [], "auto_approved": [], "published": []}
    while True:
        progressed = False
        for batch in session.scalars(
            select(Batch).where(Batch.status == "audit_failed").order_by(Batch.id)
        ).all():
            soft = {
                c.name.removeprefix("soft:"): (c.description, c.observed.get("rows_flagged", 0))
                for c in batch.checks
                if not c.blocking
            }
            audit(session, batch, soft)
            if batch.status == "audited":
                done["reaudited"].append(batch.id)
                progressed = True
        trusted = (
            select(Batch)
            .where(Batch.status == "audited", Batch.source.has(auto_approve=True))
            .order_by(Batch.id)
        )
        for batch in session.scalars(trusted).all():
            approve(session, batch.id, PIPELINE_ACTOR, "auto-approved: trusted source")
            done["auto_approved"].append(batch.id)
        published = publish_approved(session)
        done["published"] += published
        if not (published or progressed):
            return done
