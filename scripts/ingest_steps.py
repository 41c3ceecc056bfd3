"""Dev tool (issue #4): one ingestion step of one sim_biometrics file per process, so that
/usr/bin/time -v gives each step's peak RSS; run by scripts/ingest_steps.sh. State between
steps is pickled as Dagster's IO manager does.

usage: ingest_steps.py setup|land|check|clean|stage|stageonly|publish|copy|pandas FILE
env: DATABASE_URL (PostgreSQL), VAR_DIR, LANDING_DIR, RAW_STORE_DIR, RAW_DIR
"""

import os
import pickle
import sys
import time
from pathlib import Path

step, file = sys.argv[1], Path(sys.argv[2])
state = Path(os.environ["VAR_DIR"]) / "measure_state.pkl"

from sqlalchemy import select, text  # noqa: E402

from healthai.db import get_engine, session_scope  # noqa: E402
from healthai.models import Batch, IngestionRun  # noqa: E402
from healthai.pipeline import batches, ingest  # noqa: E402
from healthai.settings import get_settings  # noqa: E402
from healthai.sources import SOURCES  # noqa: E402

spec = SOURCES["sim_biometrics"]
engine = get_engine(get_settings().database_url)
rows = sum(1 for _ in file.open("rb")) - 1


def report(seconds: float, extra: str = "") -> None:
    print(f"STEP {step}: {seconds:.2f} s, {rows / seconds:,.0f} rows/s {extra}", flush=True)


began = time.perf_counter()
if step == "setup":  # users of the file, published (so the biometrics audit resolves)
    users = SOURCES["sim_users"]
    users_file = file.parent.parent / "sim_users"
    from healthai.simulate import seed_organisations

    with session_scope(engine) as s:
        seed_organisations(s)
    with session_scope(engine) as s:
        run = ingest.start_run(s, users, None)
        landed = ingest.land(s, users, run, next(users_file.glob("*.csv")))
        checked = ingest.check(s, users, landed)
        cleaned = ingest.clean(s, users, checked)
        batch = ingest.stage(s, users, cleaned, run)
        batches.audit(s, batch, {})
        batches.approve(s, batch.id, "bench")
        batches.publish(s, batch.id, "bench")
        ingest.finish_run(run, "succeeded")
    print("users published", batch.rows_staged)
elif step == "land":
    with session_scope(engine) as s:
        run = ingest.start_run(s, spec, None)
        landed = ingest.land(s, spec, run, file)
    state.write_bytes(pickle.dumps(landed))
    report(time.perf_counter() - began, f"dup_of={landed.duplicate_of}")
elif step == "check":
    landed = pickle.loads(state.read_bytes())
    with session_scope(engine) as s:
        checked = ingest.check(s, spec, landed)
    state.write_bytes(pickle.dumps(checked))
    report(
        time.perf_counter() - began,
        f"valid={checked.rows_valid} quarantined={checked.quarantined} soft={checked.soft}",
    )
elif step == "clean":
    checked = pickle.loads(state.read_bytes())
    with session_scope(engine) as s:
        cleaned = ingest.clean(s, spec, checked)
    state.write_bytes(pickle.dumps(cleaned))
    report(
        time.perf_counter() - began,
        f"records={cleaned.records} dup={cleaned.duplicates} tables={cleaned.rows_by_table}",
    )
elif step == "stage":
    cleaned = pickle.loads(state.read_bytes())
    with session_scope(engine) as s:
        run = s.get(IngestionRun, cleaned.landed.run_id)
        batch = ingest.stage(s, spec, cleaned, run)
        t_stage = time.perf_counter() - began
        checks = batches.audit(s, batch, {})
        t_audit = time.perf_counter() - began - t_stage
        ingest.finish_run(run, "succeeded")
    report(
        time.perf_counter() - began,
        f"(stage {t_stage:.2f} s, audit {t_audit:.2f} s) status={batch.status} "
        + str({c.name: c.passed for c in checks}),
    )
    ingest.discard_work(cleaned.landed)
elif step == "stageonly":
    cleaned = pickle.loads(state.read_bytes())
    with session_scope(engine) as s:
        run = s.get(IngestionRun, cleaned.landed.run_id)
        batch = ingest.stage(s, spec, cleaned, run)
        staged = time.perf_counter() - began
        ingest.finish_run(run, "succeeded")
    report(
        staged,
        f"(commit {time.perf_counter() - began - staged:.2f} s) "
        f"staged rows={sum(cleaned.rows_by_table.values())}",
    )
    ingest.discard_work(cleaned.landed)
elif step == "publish":
    with session_scope(engine) as s:
        batch_id = s.scalar(
            select(Batch.id).where(Batch.status == "audited").order_by(Batch.id.desc())
        )
        batches.approve(s, batch_id, "bench")
        batches.publish(s, batch_id, "bench")
    report(time.perf_counter() - began)
elif step == "copy":  # the floor: COPY of the same file into a bare table
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bare_biometrics"))
        conn.execute(
            text(
                "CREATE TABLE bare_biometrics (user_key text, date date, weight_kg float8, "
                "body_fat_pct float8, bmi float8, sleep_hours float8, resting_hr_bpm float8, "
                "steps float8)"
            )
        )
    began = time.perf_counter()
    with engine.begin() as conn:
        cur = conn.connection.cursor()
        with (
            cur.copy("COPY bare_biometrics FROM STDIN (FORMAT csv, HEADER true)") as cp,
            file.open("rb") as fh,
        ):
            for block in iter(lambda: fh.read(1 << 20), b""):
                cp.write(block)
    report(time.perf_counter() - began)
elif step == "pandas":  # the usual way
    import pandas as pd

    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS usual_biometrics"))
    began = time.perf_counter()
    frame = pd.read_csv(file)
    frame.to_sql("usual_biometrics", engine, index=False, chunksize=10_000)
    report(time.perf_counter() - began)
