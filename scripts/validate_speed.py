"""Dev tool (issue #13): time read + validate + clean of one sim_biometrics file, the pipeline's
own `ingest.check` and `ingest.clean`, on a scratch SQLite database (these steps write only the
quarantined rows; the database is not what is measured), with the peak RSS.

usage: .venv/bin/python scripts/validate_speed.py [ROWS] [--profile]
The file (benchmarks.data's generator, 0.5 % bad rows of five kinds) is written once under
/tmp/validate_speed/ and reused. `--profile` prints the ten costliest functions (cProfile).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/
ROWS = int(next((a for a in sys.argv[1:] if a.isdigit()), 1_000_000))
WORK = Path("/tmp/validate_speed")
FILE = WORK / f"biometrics-{ROWS}.csv"
scratch = Path(tempfile.mkdtemp(prefix="validate_speed_"))
os.environ.update(
    DATABASE_URL=f"sqlite:///{scratch / 'db.sqlite'}",
    VAR_DIR=str(scratch / "var"),
    RAW_STORE_DIR=str(scratch / "raw_store"),
    LANDING_DIR=str(scratch / "landing"),
    RAW_DIR=str(scratch / "empty"),
)

from healthai import migrate  # noqa: E402
from healthai.db import get_engine, session_scope  # noqa: E402
from healthai.pipeline import ingest  # noqa: E402
from healthai.settings import get_settings  # noqa: E402
from healthai.sources import SOURCES  # noqa: E402

if not FILE.exists():
    import math

    from benchmarks import data
    from healthai import simulate

    users = max(1, math.ceil(ROWS / (data.DAYS * data.ROWS_PER_USER_DAY)))
    cfg = simulate.SimConfig(users=users, days=data.DAYS, seed=42, start=data.START)
    facts = data.write_biometrics(cfg, simulate.make_profiles(cfg), ROWS, FILE)
    print(f"wrote {FILE} ({facts.rows:,} rows, {facts.bad_rows:,} bad)")

spec = SOURCES["sim_biometrics"]
migrate.upgrade(get_settings().database_url)
engine = get_engine(get_settings().database_url)
with session_scope(engine) as s:
    run = ingest.start_run(s, spec, None)
    landed = ingest.land(s, spec, run, FILE)

profiler = cProfile.Profile() if "--profile" in sys.argv else None
times = {}
began = time.perf_counter()
if profiler:
    profiler.enable()
with session_scope(engine) as s:
    checked = ingest.check(s, spec, landed)
times["read + validate (ingest.check)"] = time.perf_counter() - began
began = time.perf_counter()
with session_scope(engine) as s:
    cleaned = ingest.clean(s, spec, checked)
times["clean (ingest.clean)"] = time.perf_counter() - began
if profiler:
    profiler.disable()
ingest.discard_work(landed)

for step, seconds in times.items():
    print(f"{step:32s} {seconds:7.2f} s  {ROWS / seconds:>12,.0f} rows/s")
total = sum(times.values())
print(f"{'read + validate + clean':32s} {total:7.2f} s  {ROWS / total:>12,.0f} rows/s")
print(
    f"rows in {checked.rows_in:,}, valid {checked.rows_valid:,}, quarantined "
    f"{checked.quarantined:,}, records staged {cleaned.records:,}, "
    f"duplicates {cleaned.duplicates:,}; peak RSS "
    f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
)
if profiler:
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
