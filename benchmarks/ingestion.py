"""Ingestion side by side (COPY, pandas, ours, and COPY of the rows we published into a table
shaped like ours), then the incremental load, then the check that every row of both files
ended where it should."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.data import Dataset
from benchmarks.env import load, run_worker
from healthai.db import get_engine, session_scope
from healthai.models import (
    BiometricMeasurement,
    IngestionRun,
    QuarantinedRow,
    RawFile,
    Source,
    metadata,
)

SOURCE = "sim_biometrics"


def _entry(name: str, rows: int, seconds: float, rss_mb: float, **extra: Any) -> dict[str, Any]:
    return {
        "variant": name,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / max(seconds, 1e-6), 1),
        "peak_rss_mb": round(rss_mb, 1),
        "load_avg": load(),
        **extra,
    }


BUSINESS = ("sim_app_sessions", "sim_subscriptions", "sim_surveys")


def publish_setup(data: Dataset, db_url: str, work: Path) -> dict[str, Any]:
    """Setup (not measured): the users the measurements reference, published first, then
    their app sessions, plan periods and surveys (so the business analytics and pages have
    data to work on)."""
    from healthai import simulate

    with session_scope(get_engine(db_url)) as session:
        simulate.seed_organisations(session)
    target = work / "landing" / "sim_users"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data.users_csv, target / "users.csv")
    for source, files in data.business_files.items():
        folder = work / "landing" / source
        folder.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(name, folder / Path(name).name)
    # One materialisation: the fact sources' staged assets run after sim_users_staged
    # (`after=`), which publishes the users first (trusted source).
    sources = ",".join(("sim_users", *BUSINESS))
    done = run_worker("ours", sources, db_url, log=work / "logs" / "setup.log")
    if not done.result["success"]:
        raise RuntimeError("publishing the benchmark's users, sessions, plans and surveys failed")
    tables = ("users", "app_sessions", "subscriptions", "satisfaction_surveys")
    with session_scope(get_engine(db_url)) as session:
        rows = {
            t: int(session.scalar(select(func.count()).select_from(metadata.tables[t])))
            for t in tables
        }
    return {
        "seconds": round(done.result["seconds"], 2),
        "rows": rows,
    }


def _file_accounting(db_url: str, path: str) -> dict[str, Any]:
    """The ingestion run of one file and what became of its rows."""
    from healthai.pipeline.landing import sha256_of

    sha = sha256_of(Path(path))
    with session_scope(get_engine(db_url)) as session:
        run = session.scalar(
            select(IngestionRun)
            .join(RawFile, RawFile.id == IngestionRun.raw_file_id)
            .where(RawFile.sha256 == sha, IngestionRun.status != "skipped")
            .order_by(IngestionRun.id.desc())
        )
        if run is None:
            return {"found": False}
        quarantined = session.scalar(
            select(func.count())
            .select_from(QuarantinedRow)
            .where(QuarantinedRow.source_sha256 == sha)
        )
        return {
            "found": True,
            "status": run.status,
            "rows_in": run.rows_in,
            "rows_published": run.rows_published,
            "rows_quarantined": run.rows_quarantined,
            "rows_duplicate": run.rows_duplicate,
            "rows_pending": run.rows_pending,
            "quarantined_rows_table": quarantined,
        }


def _measurements(db_url: str) -> int:
    table = BiometricMeasurement.__table__
    with session_scope(get_engine(db_url)) as session:
        return int(session.scalar(select(func.count()).select_from(table)))


def verify(data: Dataset, db_url: str) -> dict[str, Any]:
    """Counts add up: per file, rows in = published + quarantined (+ duplicates + pending,
    both expected 0), quarantined = the rows the generator spoiled, and the published
    measurements are exactly one per non-empty metric of each valid row."""
    files = {}
    ok = True
    for label, facts in (("full", data.full), ("increment", data.increment)):
        acc = _file_accounting(db_url, facts.path)
        expected = {
            "rows_in": facts.rows,
            "rows_published": facts.good_rows,
            "rows_quarantined": facts.bad_rows,
            "rows_duplicate": 0,
            "rows_pending": 0,
            "quarantined_rows_table": facts.bad_rows,
        }
        mismatches = {
            k: {"expected": v, "found": acc.get(k)} for k, v in expected.items() if acc.get(k) != v
        }
        adds_up = acc.get("found") and acc["rows_in"] == (
            acc["rows_published"]
            + acc["rows_quarantined"]
            + acc["rows_duplicate"]
            + acc["rows_pending"]
        )
        ok = ok and bool(adds_up) and not mismatches
        files[label] = {
            **acc,
            "expected": expected,
            "mismatches": mismatches,
            "adds_up": bool(adds_up),
        }
    measurements = _measurements(db_url)
    expected_measurements = data.full.measurements + data.increment.measurements
    with session_scope(get_engine(db_url)) as session:
        source_id = session.scalar(select(Source.id).where(Source.name == SOURCE))
        quarantined_total = session.scalar(
            select(func.count())
            .select_from(QuarantinedRow)
            .where(QuarantinedRow.source_id == source_id)
        )
    ok = ok and measurements == expected_measurements
    return {
        "ok": ok,
        "files": files,
        "measurements_published": measurements,
        "measurements_expected": expected_measurements,
        "quarantined_total": quarantined_total,
    }


def storage(db_url: str, file_rows: int) -> dict[str, Any]:
    """What the published readings take on disk (heap, indexes, TOAST of every partition of
    `biometric_readings`), and what staging still holds, after the full load; per file row."""
    from sqlalchemy import text

    with session_scope(get_engine(db_url)) as session:
        published = int(
            session.scalar(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) "
                    "FROM pg_partition_tree('biometric_readings')"
                )
            )
            or 0
        )
        staging = int(
            session.scalar(text("SELECT pg_total_relation_size('staging_biometric_readings')")) or 0
        )
        readings = int(session.scalar(text("SELECT count(*) FROM biometric_readings")) or 0)
    return {
        "published_bytes": published,
        "staging_bytes": staging,
        "readings": readings,
        "bytes_per_file_row": round(published / max(file_rows, 1), 1),
    }


def run(data: Dataset, db_url: str, work: Path, pandas_limit: int) -> dict[str, Any]:
    logs = work / "logs"
    rows = data.full.rows
    out: dict[str, Any] = {"file": {k: v for k, v in vars(data.full).items() if k != "path"}}

    copy = run_worker("copy", data.full.path, db_url, log=logs / "copy.log")
    out["copy"] = _entry("copy", copy.result["rows"], copy.result["seconds"], copy.peak_rss_mb)

    limit = pandas_limit if 0 < pandas_limit < rows else 0
    usual = run_worker("pandas", data.full.path, db_url, limit, log=logs / "pandas.log")
    measured_rows = usual.result["rows"]
    out["pandas"] = _entry(
        "pandas",
        measured_rows,
        usual.result["seconds"],
        usual.peak_rss_mb,
        extrapolated=bool(limit),
        note=(
            f"measured on the first {measured_rows:,} rows; the time for {rows:,} rows is "
            "extrapolated linearly, the peak memory is the prefix's"
        )
        if limit
        else "",
        seconds_for_file=round(usual.result["seconds"] * rows / measured_rows, 3),
    )

    landing = work / "landing" / SOURCE
    landing.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data.full.path, landing / Path(data.full.path).name)
    full = run_worker("ours", SOURCE, db_url, SOURCE, log=logs / "ours-full.log")
    out["ours"] = _entry(
        "ours",
        rows,
        full.result["seconds"],
        full.peak_rss_mb,
        success=full.result["success"],
        checks=full.result["checks"],
        steps=full.result.get("steps", {}),
        approvals=full.result.get("approvals", []),
        process_wall_s=round(full.wall_s, 2),
    )
    out["storage"] = storage(db_url, rows)

    floor = run_worker("copy_published", str(work), db_url, log=logs / "copy-published.log")
    out["copy_published"] = _entry(
        "copy_published",
        floor.result["rows"],
        floor.result["seconds"],
        floor.peak_rss_mb,
        foreign_keys=floor.result["foreign_keys"],
        table=floor.result["table"],
    )

    shutil.copyfile(data.increment.path, landing / Path(data.increment.path).name)
    inc = run_worker("ours", SOURCE, db_url, SOURCE, log=logs / "ours-increment.log")
    out["incremental"] = _entry(
        "incremental",
        data.increment.rows,
        inc.result["seconds"],
        inc.peak_rss_mb,
        success=inc.result["success"],
        checks=inc.result["checks"],
        approvals=inc.result.get("approvals", []),
        full_seconds=out["ours"]["seconds"],
        ratio_to_full=round(inc.result["seconds"] / max(full.result["seconds"], 1e-6), 4),
    )
    ours_rate = out["ours"]["rows_per_s"]
    # durations are floored at a microsecond: at tiny scales a rounded time can be 0
    pandas_rate = rows / max(usual.result["seconds"] * rows / measured_rows, 1e-6)
    out["ratios"] = {
        "ours_vs_copy": round(ours_rate / out["copy"]["rows_per_s"], 3),
        "ours_vs_pandas": round(ours_rate / pandas_rate, 2),
        "pandas_vs_copy": round(pandas_rate / out["copy"]["rows_per_s"], 3),
        # the published rows' own floor, per file row: the same write, nothing before it
        "published_floor_share": round(
            out["copy_published"]["seconds"] / max(out["ours"]["seconds"], 1e-6), 3
        ),
        # ours against the floor of the final write: how many times that write's own time
        "ours_vs_published_floor": round(
            out["ours"]["seconds"] / max(out["copy_published"]["seconds"], 1e-6), 2
        ),
    }
    # approval → visible: the approval and publication of each batch (the full file's, then
    # the increment's), from the approval to the commit
    out["approval_to_visible"] = [
        {**a, "seconds": round(a["seconds"], 3), "file": label}
        for label, result in (("full", full.result), ("increment", inc.result))
        for a in result.get("approvals", [])
    ]
    out["verification"] = verify(data, db_url)
    return out
