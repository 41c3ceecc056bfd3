"""`python -m benchmarks.copy_formats [ROWS]`: the same wide rows (the shape of
`biometric_readings`) written by three client-side ways of feeding PostgreSQL's COPY into a
bare table, each timed to its commit: Arrow's CSV writer + `COPY (FORMAT csv)`; pgpq's
binary encoding of the Arrow columns + `COPY (FORMAT binary)` (what healthai.pipeline.bulk
uses); psycopg 3's `Copy.write_row` (binary, one Python tuple per row). Uses
BENCH_POSTGRES_URL (default: the local server's postgres database) and a scratch table."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pcsv

METRICS = ["weight_kg", "body_fat_pct", "bmi", "sleep_hours", "resting_hr_bpm", "steps", "water_l"]
URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def rows(n: int) -> pa.Table:
    rng = np.random.default_rng(1)
    columns = {
        "batch_id": pa.array(np.full(n, 7, dtype=np.int32)),
        "record": pa.array(np.arange(1, n + 1, dtype=np.int32)),
        "user_id": pa.array(rng.integers(1, 3000, n).astype(np.int32)),
        "measured_at": pa.array(
            np.arange(n, dtype=np.int64) * 8_640_000_000, pa.timestamp("us", tz="UTC")
        ),
    }
    columns |= {m: pa.array(rng.random(n) * 50) for m in METRICS}
    return pa.table(columns)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 1_000_000
    data = rows(n)
    names = ", ".join(data.column_names)
    ddl = (
        "CREATE TABLE bench_copy_formats (id serial, batch_id int, record int, user_id int, "
        f"measured_at timestamptz, {', '.join(f'{m} double precision' for m in METRICS)})"
    )
    conn = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def csv() -> None:
        wall = data.set_column(
            3, "measured_at", data["measured_at"].cast(pa.timestamp("us")).cast(pa.string())
        )
        options = pcsv.WriteOptions(include_header=False, batch_size=65_536)
        sql = f"COPY bench_copy_formats ({names}) FROM STDIN (FORMAT csv)"
        with conn.transaction(), conn.cursor() as cur, cur.copy(sql) as cp:
            for batch in wall.to_batches(65_536):
                sink = pa.BufferOutputStream()
                pcsv.write_csv(batch, sink, options)
                cp.write(sink.getvalue())

    def pgpq_binary() -> None:
        import pgpq

        encoder = pgpq.ArrowToPostgresBinaryEncoder(data.schema)
        sql = f"COPY bench_copy_formats ({names}) FROM STDIN (FORMAT binary)"
        with conn.transaction(), conn.cursor() as cur, cur.copy(sql) as cp:
            cp.write(encoder.write_header())
            for batch in data.to_batches(65_536):
                cp.write(encoder.write_batch(batch))
            cp.write(encoder.finish())

    def write_row() -> None:
        sql = f"COPY bench_copy_formats ({names}) FROM STDIN (FORMAT binary)"
        with conn.transaction(), conn.cursor() as cur, cur.copy(sql) as cp:
            cp.set_types(["int4", "int4", "int4", "timestamptz"] + ["float8"] * len(METRICS))
            for row in zip(*(c.to_pylist() for c in data.columns), strict=True):
                cp.write_row(row)

    ways: list[Callable[[], None]] = [csv, pgpq_binary, write_row]
    print(f"{n:,} rows; load average {os.getloadavg()}")
    for way in ways:
        conn.execute("DROP TABLE IF EXISTS bench_copy_formats")
        conn.execute(ddl)
        began = time.perf_counter()
        way()
        seconds = time.perf_counter() - began
        (count,) = conn.execute("SELECT count(*) FROM bench_copy_formats").fetchone() or (0,)
        print(f"{way.__name__:12} {seconds:6.2f} s  {count:,} rows")
    conn.execute("DROP TABLE bench_copy_formats")


if __name__ == "__main__":
    main(sys.argv[1:])
