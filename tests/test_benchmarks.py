"""The benchmark harness (`make bench`) at a tiny scale on the test PostgreSQL: every section
is measured and reported, and every row of the input ends where it should. No timing is
asserted: the figures belong to docs/performance.md, not to the test suite."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parent.parent
ROWS = 2_000


@pytest.mark.postgres
def test_harness_reports_every_section_and_counts_add_up(
    tmp_path: Path, pg_available: bool
) -> None:
    if not pg_available:
        pytest.skip("PostgreSQL does not answer (outside CI)")
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nProse kept.\n", encoding="utf-8")
    database = f"bench_test_{uuid.uuid4().hex[:10]}"
    cmd = [sys.executable, "-m", "benchmarks", "--quick", "--scale", str(ROWS)]
    cmd += ["--admin-url", PG_ADMIN_URL, "--database", database, "--keep-db"]
    cmd += ["--results-dir", str(tmp_path / "results"), "--doc", str(doc)]
    # a few clients: this checks the harness, not the speed (50 clients on a loaded CI machine
    # wait past the pool's timeout and are answered 503, the API shedding load as designed)
    cmd += ["--concurrency", "4", "--analytics-concurrency", "2"]
    db_url = make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=540)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        _check_harness_results(tmp_path, doc)
        _check_serve_only(tmp_path, db_url)
    finally:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def _check_serve_only(tmp_path: Path, db_url: str) -> None:
    """`--serve-only`: the API and the pages alone on an existing database (a kept run), the
    key and the account it made disabled afterwards."""
    from dashboard.shell import PAGES

    cmd = [sys.executable, "-m", "benchmarks", "--serve-only", db_url, "--api-kinds", "detail"]
    cmd += ["--api-seconds", "1", "--api-requests", "50", "--api-workers", "1"]
    cmd += ["--page-repeats", "1", "--results-dir", str(tmp_path / "serve-only")]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    database = make_url(db_url).database
    results = json.loads((tmp_path / "serve-only" / f"serve-{database}.json").read_text())
    assert results["api"]["workers"] == 1
    assert [e["endpoint"] for e in results["api"]["endpoints"]] == ["detail"]
    assert {p["page"] for p in results["web"]["pages"]} == {f"/{slug}" for slug in PAGES}
    assert "#### Targets" in done.stdout and "renders in < 1 s" in done.stdout
    engine = create_engine(db_url)
    with engine.connect() as conn:
        keys = conn.execute(
            text("SELECT revoked_at FROM api_keys WHERE name LIKE 'benchmark-%'")
        ).all()
        admins = conn.execute(
            text("SELECT is_active FROM api_accounts WHERE username LIKE 'benchmark-admin-%'")
        ).all()
    engine.dispose()
    assert len(keys) == 2 and all(k.revoked_at is not None for k in keys)
    assert len(admins) == 2 and not any(a.is_active for a in admins)


def _check_harness_results(tmp_path: Path, doc: Path) -> None:

    results = json.loads((tmp_path / "results" / f"scale-{ROWS}.json").read_text())
    setup = results["setup"]["rows"]
    assert setup["users"] == results["dataset"]["users"] > 0
    assert setup["app_sessions"] > 0 and setup["subscriptions"] > 0
    ing = results["ingestion"]
    for variant in ("copy", "copy_published", "pandas", "ours", "incremental"):
        assert ing[variant]["seconds"] > 0 and ing[variant]["peak_rss_mb"] > 0, variant
    assert ing["copy"]["rows"] == ROWS and ing["pandas"]["rows"] == ROWS
    assert ing["ours"]["success"] and ing["incremental"]["success"]
    steps = ing["ours"]["steps"]  # where our time went, by Dagster step
    # the batch asset; the publication asset runs only when something is approved: the
    # measured batches are approved by the harness (approval → visible, timed)
    assert "sim_biometrics_batch" in steps, steps

    # counts add up, against what the generator wrote (independently of the pipeline)
    facts = results["dataset"]
    check = ing["verification"]
    assert check["ok"], check
    full = check["files"]["full"]
    assert full["rows_in"] == ROWS == facts["full"]["rows"]
    assert full["rows_quarantined"] == facts["full"]["bad_rows"] > 0
    assert full["rows_in"] == (
        full["rows_published"] + full["rows_quarantined"] + full["rows_duplicate"]
        + full["rows_pending"]
    )  # fmt: skip
    assert check["files"]["increment"]["rows_in"] == ROWS // 100
    assert check["measurements_published"] == (
        facts["full"]["measurements"] + facts["increment"]["measurements"]
    )
    # the floor of what we publish copied exactly the full file's published readings (one
    # per valid row), into a table keyed and checked like biometric_readings (foreign key to
    # users; batches are its partitions, not a foreign key)
    assert ing["copy_published"]["rows"] == facts["full"]["rows"] - facts["full"]["bad_rows"]
    assert ing["copy_published"]["foreign_keys"] == 1
    # approval → visible, timed per batch (the full file's, then the increment's), and the
    # published table's size per file row
    approvals = ing["approval_to_visible"]
    assert [a["file"] for a in approvals] == ["full", "increment"]
    assert approvals[0]["rows"] == facts["full"]["rows"] - facts["full"]["bad_rows"]
    assert all(a["seconds"] > 0 for a in approvals)
    assert ing["storage"]["readings"] == ing["copy_published"]["rows"]  # after the full file
    assert ing["storage"]["bytes_per_file_row"] > 0
    assert ing["ratios"]["ours_vs_published_floor"] > 0

    # the API: list, detail, filtered list and every analytics endpoint, all answered
    endpoints = {e["endpoint"]: e for e in results["api"]["endpoints"]}
    assert {"list", "detail", "filtered"} <= set(endpoints)
    from benchmarks.api_load import analytics_routes

    routes, _skipped = analytics_routes()
    assert routes and {f"analytics {r}" for r, _ranged in routes} <= set(endpoints)
    ranged = [r for r, has_range in routes if has_range]
    assert ranged and all(
        any(e.startswith(f"analytics {r}?date_from=") for e in endpoints) for r in ranged
    )
    for name, e in endpoints.items():
        assert e["requests"] > 0 and e["errors"] == 0, (name, e["statuses"])
        assert e["p50_ms"] <= e["p95_ms"] <= e["p99_ms"]
        assert e["server_cpu_ms"] > 0 and e["client_cpu_ms"] > 0, name
    # as docker-compose.yml serves it: API_WORKERS (2) processes
    assert results["api"]["workers"] == 2

    # the web interface: every page rendered for a signed-in admin
    from dashboard.shell import PAGES

    pages = {p["page"]: p for p in results["web"]["pages"]}
    assert set(pages) == {f"/{slug}" for slug in PAGES}
    assert all(p["ok"] for p in pages.values()), pages

    # the document: prose kept, this scale's section between its markers, every table
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Performance\n\nProse kept.")
    assert f"<!-- bench:{ROWS}:start -->" in text and f"<!-- bench:{ROWS}:end -->" in text
    for heading in ("#### Ingestion", "#### API", "#### Web interface", "#### Targets"):
        assert heading in text
    assert results["command"] in text
    assert "load average" in text.lower()
    assert "Approval → visible" in text and "bytes per file row" in text
    assert len(results["targets"]) >= 5 + len(endpoints) + len(pages)
