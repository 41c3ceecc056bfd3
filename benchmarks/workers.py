"""The measured work, one variant per process (`python -m benchmarks.workers VARIANT ARGS`),
so that the parent reads each variant's own peak memory (os.wait4's ru_maxrss). Each variant
times its work only (after its imports) and writes its result as JSON to the path given."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

CSV_COLUMNS = (
    "user_key",
    "date",
    "weight_kg",
    "body_fat_pct",
    "bmi",
    "sleep_hours",
    "resting_hr_bpm",
    "steps",
)


def _psycopg_url(url: str) -> str:
    """A libpq URL from an SQLAlchemy one."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def copy_floor(csv_path: str, db_url: str) -> dict[str, Any]:
    """PostgreSQL's own COPY of the file into a bare table of text columns (no parsing, no
    constraint, no index: the least work that moves the bytes into the database)."""
    import psycopg

    with psycopg.connect(_psycopg_url(db_url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute(f"CREATE TABLE bench_copy ({', '.join(f'{c} text' for c in CSV_COLUMNS)})")
        began = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            sql = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
            with cur.copy(sql) as copy, open(csv_path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
        seconds = time.perf_counter() - began
        rows = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]
        conn.execute("DROP TABLE bench_copy")
    return {"seconds": seconds, "rows": rows}


PUBLISHED = "biometric_readings"
PUBLISHED_COLUMNS = (
    "id, batch_id, record, user_id, measured_at, weight_kg, body_fat_pct, bmi, sleep_hours, "
    "resting_hr_bpm, steps, water_l"
)


def copy_published(work_dir: str, db_url: str) -> dict[str, Any]:
    """The floor for what we publish: COPY of exactly the rows our pipeline published (read
    back from `biometric_readings`, ids included so that the published table's sequence
    is not drawn on; not timed) into a new table with the published table's keys, CHECK
    constraints, indexes and foreign keys. Our pipeline cannot write its output faster than
    this, whatever it does before."""
    import psycopg

    dump = Path(work_dir) / "published.csv"
    with psycopg.connect(_psycopg_url(db_url), autocommit=True) as conn:
        with conn.cursor() as cur, dump.open("wb") as fh:
            sql = f"COPY (SELECT {PUBLISHED_COLUMNS} FROM {PUBLISHED}) TO STDOUT (FORMAT csv)"
            with cur.copy(sql) as copy:
                for block in copy:
                    fh.write(block)
        conn.execute("DROP TABLE IF EXISTS bench_published")
        conn.execute(f"CREATE TABLE bench_published (LIKE {PUBLISHED} INCLUDING ALL)")
        fks = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            (PUBLISHED,),
        ).fetchall()
        for (definition,) in fks:
            conn.execute(f"ALTER TABLE bench_published ADD {definition}")
        began = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            sql = f"COPY bench_published ({PUBLISHED_COLUMNS}) FROM STDIN (FORMAT csv)"
            with cur.copy(sql) as copy, dump.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
        seconds = time.perf_counter() - began
        rows = conn.execute("SELECT count(*) FROM bench_published").fetchone()[0]
        conn.execute("DROP TABLE bench_published")
    dump.unlink()
    return {"seconds": seconds, "rows": rows, "foreign_keys": len(fks), "table": PUBLISHED}


def pandas_usual(csv_path: str, db_url: str, limit: int) -> dict[str, Any]:
    """`pandas.read_csv` then `DataFrame.to_sql` (default method: executemany of INSERTs),
    on the first `limit` rows when limit > 0."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    began = time.perf_counter()
    frame = pd.read_csv(csv_path, nrows=limit or None)
    frame.to_sql("bench_pandas", engine, if_exists="replace", index=False)
    seconds = time.perf_counter() - began
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT count(*) FROM bench_pandas")).scalar_one()
        conn.execute(text("DROP TABLE bench_pandas"))
    engine.dispose()
    return {"seconds": seconds, "rows": rows}


def _approve(sources: list[str], db_url: str) -> list[dict[str, Any]]:
    """Approve then publish each audited batch of `sources`, one transaction each, as a
    steward's approval does: the time from the approval to the commit that makes the rows
    visible, per batch."""
    from sqlalchemy import select

    from healthai.db import get_engine, session_scope
    from healthai.models import Batch, Source
    from healthai.pipeline import batches

    engine = get_engine(db_url)
    with session_scope(engine) as session:
        waiting = session.execute(
            select(Batch.id, Batch.rows_staged)
            .join(Source, Source.id == Batch.source_id)
            .where(Source.name.in_(sources), Batch.status == "audited")
            .order_by(Batch.id)
        ).all()
    done = []
    for batch_id, rows in waiting:
        began = time.perf_counter()
        with session_scope(engine) as session:
            batches.approve(session, batch_id, batches.PIPELINE_ACTOR, "benchmark approval")
            batches.publish(session, batch_id, batches.PIPELINE_ACTOR)
        done.append({"batch": batch_id, "rows": rows, "seconds": time.perf_counter() - began})
    return done


def ours(sources: str, db_url: str, approve: str = "") -> dict[str, Any]:
    """Our pipeline, end to end, as the daemon runs it: for each of `sources` (comma-separated)
    one partition and one run of `<source>_batch` per file (land, validate, clean, stage,
    audit, with their checks), then the publication asset, with the project's Database
    resource (assets.catch_up). The sources trusted for the run (AUTO_APPROVE_SOURCES, set
    by the harness) are approved by the pipeline and published; the audited batches of the
    sources in `approve` (comma-separated) are then approved and published here, each timed
    from its approval to the commit that makes it visible (in the end-to-end time too)."""
    import dagster as dg

    from assets.catch_up import catch_up
    from assets.resources import Database

    began = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        result = catch_up(instance, sources.split(","), {"database": Database(url=db_url)})
    approvals = _approve(approve.split(","), db_url) if approve else []
    seconds = time.perf_counter() - began
    checks = [
        {"check": c.check_name, "asset": c.asset_key.to_user_string(), "passed": c.passed}
        for c in result.get_asset_check_evaluations()
    ]
    steps: dict[str, float] = {}  # Dagster's own duration of each step (asset and its checks)
    for e in result.all_events:
        if e.event_type == dg.DagsterEventType.STEP_SUCCESS and e.step_key:
            took = e.event_specific_data.duration_ms / 1000
            steps[e.step_key] = round(steps.get(e.step_key, 0.0) + took, 2)
    return {
        "seconds": seconds,
        "success": result.success,
        "checks": checks,
        "steps": steps,
        "approvals": approvals,
    }


VARIANTS = {
    "copy": copy_floor,
    "copy_published": copy_published,
    "pandas": pandas_usual,
    "ours": ours,
}


def main(argv: list[str]) -> None:
    variant, out, *args = argv
    fn = VARIANTS[variant]
    typed = [int(a) if a.isdigit() else a for a in args]
    result = fn(*typed)
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
