"""Large files go through in chunks: the outcome (published, quarantined, duplicates, every
reason) does not depend on where the chunk boundaries fall; known files are neither hashed
nor read again; COPY staging on PostgreSQL writes the rows the inserts write."""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from healthai.models import STAGING, Batch, IngestionRun, QuarantinedRow
from healthai.models.vocab import METRICS
from healthai.pipeline import bulk, ingest, landing
from healthai.pipeline.chunks import KeySet
from healthai.pipeline.contract import validate
from healthai.pipeline.normalise import strip_text
from healthai.pipeline.readers import RECORD, iter_file, iter_source, read_file
from healthai.settings import PROJECT_ROOT, get_settings
from healthai.sources import SOURCES
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, materialize_sources, session_for
from tests.sources.helpers import only_landing

HEADER = "user_key,date,weight_kg,body_fat_pct,bmi,sleep_hours,resting_hr_bpm,steps\n"
GYM = PROJECT_ROOT / "raw" / "gym_members" / "gym_members_exercise_tracking.csv"
AN_HOUR_AGO = datetime.now().timestamp() - 3600


def biometrics_file(path: Path, key: str = "sim") -> Path:
    """40 rows: duplicates of a user and day near and far (across any chunk boundary), values
    out of range, a malformed line, a BMI without weight, a row without measurement. `key`
    prefixes every user key (files with another prefix share no row)."""
    lines = []
    for i in range(1, 36):
        lines.append(f"{key}:u{i % 7:03d},2025-01-{i // 7 + 1:02d},70.{i},20,23.1,7,60,{1000 + i}")
    lines[3] = f"{key}:u003,2025-01-01,500,20,23.1,7,60,1000"  # weight out of range
    lines[8] = f"{key}:u001,2025-01-01,71,20,23.1,7,60,1000"  # same user and day as line 1
    lines[12] = f"{key}:u005,2025-01-02,,,24,7,60,1000"  # a BMI without weight
    lines[20] = f"{key}:u006,2025-01-03,,,,,,"  # no measurement
    lines[25] = f"{key}:u004,2025-01-04,70,20"  # malformed: 4 fields
    lines += [
        f"{key}:u002,2025-01-01,72,21,23.5,7,61,1200",  # same user and day as line 2
        f"{key}:u002,2025-01-01,9999,21,23.5,7,61,1200",  # again, and out of range
        f"bad key {key},2025-01-05,70,20,23.1,7,60,1000",  # user key breaks its pattern
        f" {key}:u001 ,\t2025-01-06 ,70,20,23.1,7,60,1000",  # padded: valid once stripped
        f"{key}:u001,2025-01-06,70,20,23.1,7,60,1000",  # same user and day as the padded one
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


def reference(path: Path) -> dict:
    """The outcome of validating the whole file as one frame (no chunk at all)."""
    spec = SOURCES["sim_biometrics"]
    raw = read_file(path, "csv")
    checked = validate(spec.normalise(raw.frame.copy()), spec.contract, raw.frame)
    reasons = {str(m[RECORD]): [m["reason"]] for m in raw.malformed}
    reasons |= {str(r.record): r.reasons for r in checked.rejected}
    tables = spec.transform(checked.valid, None)  # type: ignore[arg-type]
    return {"rows_in": raw.rows_in, "reasons": reasons, "staged": tables}


def ingest_file(db_url: str, path: Path, chunk_rows: int | None) -> dict:
    """Run the pipeline's own steps on `path`, as the assets do."""
    spec = SOURCES["sim_biometrics"]
    with session_for(db_url) as session:
        run = ingest.start_run(session, spec, None)
        landed = ingest.land(session, spec, run, path)
    with session_for(db_url) as session:
        checked = ingest.check(session, spec, landed, chunk_rows)
    with session_for(db_url) as session:
        cleaned = ingest.clean(session, spec, checked)
    with session_for(db_url) as session:
        run = session.get(IngestionRun, landed.run_id)
        batch = ingest.stage(session, spec, cleaned, run)
        ingest.finish_run(run, "succeeded")
        batch_id = batch.id
    ingest.discard_work(landed)
    with session_for(db_url) as session:
        run = session.get(IngestionRun, landed.run_id)
        quarantined = session.scalars(
            select(QuarantinedRow).where(QuarantinedRow.run_id == run.id)
        ).all()
        stg = STAGING["biometric_readings"]
        wide = session.execute(
            select(stg.c.record, *(stg.c[m] for m in METRICS))
            .where(stg.c.batch_id == batch_id)
            .order_by(stg.c.staging_id)
        ).all()
        staged = [
            (str(r[0]), m, v)
            for r in wide
            for m, v in zip(METRICS, r[1:], strict=True)
            if v is not None
        ]
        return {
            "counts": (run.rows_in, run.rows_quarantined, run.rows_duplicate, run.rows_pending),
            "reasons": {q.source_record: q.reasons for q in quarantined},
            "staged": sorted((r, m, v) for r, m, v in staged),
            "soft": checked.soft,
            "batch": batch_id,
        }


@pytest.mark.parametrize("engine", ENGINES)
def test_chunks_give_the_outcome_of_one_frame(engine: str, platform: str, tmp_path: Path) -> None:
    ref = reference(biometrics_file(tmp_path / "bio.csv"))
    wide = ref["staged"]["biometric_readings"]
    expected_staged = sorted(
        (str(r), m, v)
        for r, m, v in wide.melt(id_vars=[RECORD], value_vars=[m for m in METRICS if m in wide])
        .dropna(subset=["value"])[[RECORD, "variable", "value"]]
        .itertuples(index=False)
    )
    outcomes = []
    for rows, name in ((4, "a"), (7, "b"), (None, "c")):
        # other user keys in each file: a bad row already quarantined would be linked to it
        path = biometrics_file(tmp_path / f"{name}.csv", key=f"sim{name}")
        path.write_text(path.read_text() + f"sim:u{90 + len(outcomes)},2025-02-01,70,,,,,\n")
        outcomes.append((rows, ingest_file(platform, path, rows), reference(path)))
    for rows, got, ref in outcomes:
        rows_in = ref["rows_in"]
        assert got["counts"] == (rows_in, len(ref["reasons"]), 0, rows_in - len(ref["reasons"]))
        assert got["reasons"] == ref["reasons"], f"chunks of {rows} rows"
    # the same rows of the first 40 lines are staged whatever the chunk size
    for _, got, _ in outcomes:
        assert [s for s in got["staged"] if int(s[0]) <= 40] == expected_staged
    rules = Counter(r["rule"] for reasons in ref["reasons"].values() for r in reasons)
    assert rules["one_row_per_user_and_day"] >= 4
    assert {"out_of_range", "malformed_line", "bmi_needs_weight", "has_a_measurement"} <= set(rules)


@pytest.mark.parametrize("engine", ENGINES)
def test_duplicate_across_a_chunk_boundary_is_quarantined_with_its_reason(
    engine: str, platform: str, tmp_path: Path
) -> None:
    got = ingest_file(platform, biometrics_file(tmp_path / "bio.csv"), 4)
    # line 9 repeats line 1's user and day: chunks [1-4] [5-8] [9-12]
    assert got["reasons"]["9"] == [
        {
            "rule": "one_row_per_user_and_day",
            "column": "user_key, date",
            "value": {"user_key": "sim:u001", "date": "2025-01-01"},
            "message": "a second row for the same user and day",
        }
    ]
    # a repeat that breaks another rule too keeps every reason, in one quarantined row
    assert {r["rule"] for r in got["reasons"]["37"]} == {
        "one_row_per_user_and_day",
        "out_of_range",
    }
    # the padded row and its unpadded twin are the same user and day once normalised
    assert got["reasons"]["40"][0]["rule"] == "one_row_per_user_and_day"


@pytest.mark.parametrize("engine", ENGINES)
def test_primary_key_duplicates_across_chunks_through_the_assets(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gym file's first 30 rows then rows 2 and 5 again: with chunks of 10 rows, the
    repeats meet their first occurrence only across chunks."""
    with GYM.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, data = rows[0], rows[1:31]
    folder = only_landing(monkeypatch, tmp_path, "gym_members")
    with (folder / "gym.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *data, data[1], data[4]])
    bad = sum(1 for r in data if float(r[5]) > float(r[4]))  # Avg_BPM above Max_BPM
    repeated_bad = sum(1 for r in (data[1], data[4]) if float(r[5]) > float(r[4]))
    monkeypatch.setenv("INGEST_CHUNK_ROWS", "10")
    get_settings.cache_clear()

    assert materialize_sources(platform, "gym_members").success
    with session_for(platform) as session:
        run = session.scalar(select(IngestionRun))
        assert run.rows_in == 32
        assert run.rows_quarantined == bad + repeated_bad
        assert run.rows_duplicate == 2 - repeated_bad
        assert run.rows_pending == 30 - bad
        assert run.rows_in == run.rows_quarantined + run.rows_duplicate + run.rows_pending
        assert session.scalar(select(Batch.status)) == "audited"
    assert not list((get_settings().var_dir / "work").rglob("part-*"))  # cleaned up


@pytest.mark.parametrize("engine", ENGINES)
def test_known_file_is_neither_hashed_nor_read_again(
    engine: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert materialize_sources(platform, "gym_members").success
    calls: Counter = Counter()
    hash_file, iter_source = landing.hash_file, ingest.iter_source

    def counting_hash(path: Path) -> str:
        calls["hash"] += 1
        return hash_file(path)

    def counting_read(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["read"] += 1
        return iter_source(*args, **kwargs)

    monkeypatch.setattr(landing, "hash_file", counting_hash)
    monkeypatch.setattr(ingest, "iter_source", counting_read)
    assert materialize_sources(platform, "gym_members").success
    assert calls == Counter()
    with session_for(platform) as session:
        statuses = [r.status for r in session.scalars(select(IngestionRun).order_by("id"))]
        assert statuses == ["succeeded", "skipped"]


def test_a_file_changed_in_place_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    path = tmp_path / "export.csv"
    path.write_text("a,b\n1,2\n")
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    first = landing.sha256_of(path)
    calls = []
    monkeypatch.setattr(landing, "hash_file", lambda p: calls.append(p) or first)
    assert landing.sha256_of(path) == first and calls == []  # unchanged: not read
    path.write_text("a,b\n3,4\n")  # same size, same modification time set back
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    monkeypatch.undo()
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    assert landing.sha256_of(path) == landing.hash_file(path) != first
    get_settings.cache_clear()


def test_key_set_across_chunks() -> None:
    keys = KeySet()
    first = pd.DataFrame({"user": ["a", "b", "c"], "day": pd.to_datetime(["2025-01-01"] * 3)})
    keys.add(first)
    later = pd.DataFrame(
        {"user": ["c", "d", "a", "a"], "day": pd.to_datetime(["2025-01-01"] * 3 + ["2025-01-02"])}
    )
    assert keys.contains(later).tolist() == [True, False, True, False]
    keys.add(later)
    assert len(keys) == 5
    many = pd.DataFrame({"k": np.arange(100_000)})
    keys = KeySet()
    keys.add(many.iloc[::2])
    assert keys.contains(many).sum() == 50_000


def _strip_cell(value: object) -> object:
    """The rule, cell by cell: trim whitespace and literal escapes, then empty -> None."""
    if not isinstance(value, str):
        return value
    value = re.sub(r"^(?:\\[tnr])+|(?:\\[tnr])+$", "", value.strip()).strip()
    return value or None


def test_strip_text_applies_the_cell_rule_to_every_string_cell() -> None:
    cells = ["", " ", "a", " a ", "\\t182", "182\\n", "\\t", "\u00a0x\u2003", "a b", None, "x\\ty"]
    frame = pd.DataFrame({"s": cells, "n": range(len(cells)), "mixed": [1, "a "] * 5 + [None]})
    assert strip_text(frame).equals(frame.apply(lambda col: col.map(_strip_cell)))


def test_csv_chunks_add_up_to_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('a,b\n1,2\n3\n"x\ny",4\n5,6,7\n   \n8,9\n10,11\n"q,r",12\n')
    whole = read_file(path, "csv")
    parts = list(iter_file(path, "csv", 2))
    assert [len(p.frame) for p in parts] == [2, 2, 1]
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    assert frame.equals(whole.frame)
    assert whole.frame[RECORD].tolist() == [1, 3, 6, 7, 8]
    assert whole.frame["a"].tolist() == ["1", "x\ny", "8", "10", "q,r"]
    assert [m[RECORD] for p in parts for m in p.malformed] == [2, 4]


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_copy_staging_writes_the_rows_inserts_write(
    engine: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = {
        "users": pd.DataFrame(
            {
                RECORD: [1, 2, 3],
                "external_key": ['a:"quoted", comma', "b:line\nbreak", "c:é"],
                "birth_year": [1980.0, 1990.0, 2001.0],  # floats bound for an integer column
                "sex": ["female", None, ""],
                "height_cm": [170.5, np.nan, 180.0],
                "experience_level": pd.array([1, None, 3], dtype="Int64"),
                "plan_tier": ["free", "premium", "free"],
            }
        ),
        "biometric_readings": pd.DataFrame(
            {
                RECORD: [1, 2],
                "user_key": ["a:1", "b:2"],
                "measured_at": pd.Series(
                    pd.to_datetime(["2025-01-01", "2025-03-30 01:30:00.123456"], format="ISO8601")
                ).dt.tz_localize("UTC"),
                "weight_kg": [70.25, np.nan],
                "bmi": [22.1, np.nan],
                "steps": [np.nan, 1e5],
            }
        ),
        "subscriptions": pd.DataFrame(
            {
                RECORD: [4, 5],
                "user_key": ["a:1", "b:2"],
                "plan_tier": ["free", "premium"],
                "started_on": [date(2025, 1, 1), date(2025, 2, 1)],
                "ended_on": [date(2025, 1, 31), None],
            }
        ),
    }
    spec = SOURCES["sim_users"]
    written = {}
    for way in ("copy", "insert"):
        with session_for(platform) as session:
            source = landing.ensure_source(session, spec)
            batch = Batch(source_id=source.id, status="staged", rows_staged=0, rows_by_table={})
            session.add(batch)
            session.flush()
            if way == "insert":
                monkeypatch.setattr(bulk, "is_postgres", lambda s: False)
            for table, frame in frames.items():
                ingest.write_staging(session, table, frame, batch.id)
            monkeypatch.undo()
            written[way] = batch.id
    with session_for(platform) as session:
        for table in frames:
            stg = STAGING[table]
            columns = [c for c in stg.c if c.name not in ("staging_id", "batch_id", "created_at")]

            copied, inserted = (
                session.execute(
                    select(*columns)
                    .where(stg.c.batch_id == written[way])
                    .order_by(stg.c.staging_id)
                ).all()
                for way in ("copy", "insert")
            )
            assert copied == inserted and len(copied) == len(frames[table]), table
        stamps = session.scalars(
            select(STAGING["users"].c.created_at).where(
                STAGING["users"].c.batch_id == written["copy"]
            )
        ).all()
        assert all(s is not None and s <= datetime.now(UTC) for s in stamps)
    assert count(platform, "users") == 0


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("fitbit_daily_activity", "one_row_per_user_and_day"),
        ("daily_food_nutrition_v1_log", "entry_not_repeated"),
    ],
)
def test_first_row_wins_rules_hold_across_chunks(tmp_path: Path, source: str, rule: str) -> None:
    """A real file's first 40 rows, then a copy of one of them: read in chunks of 10, the
    copy (in the last chunk) is rejected by the source's own uniqueness rule, and every row's
    outcome is the one of the whole file read at once."""
    from healthai.pipeline.contract import FileScope

    spec = SOURCES[source]
    lines = next((PROJECT_ROOT / "raw" / source).glob("*.csv")).read_text().splitlines()
    path = tmp_path / f"{source}.csv"
    path.write_text("\n".join([*lines[:41], lines[7]]) + "\n")

    def outcome(chunk_rows: int | None) -> dict[str, set[str]]:
        rules: dict[str, set[str]] = {}
        first = next(iter_source(path, spec, chunk_rows)).frame
        with FileScope(ingest.date_orders(spec, path, first, chunk_rows)):
            for part in iter_source(path, spec, chunk_rows):
                raw = part.frame
                checked = validate(spec.normalise(raw.copy()), spec.contract, raw)
                for row in checked.rejected:
                    rules[str(row.record)] = {r["rule"] for r in row.reasons}
        return rules

    chunked = outcome(10)
    assert rule in chunked["41"]  # line 7's copy, record 41
    assert not any(rule in rules for record, rules in chunked.items() if record != "41")
    assert chunked == outcome(None)


@pytest.mark.parametrize("engine", ENGINES)
def test_quarantined_rows_keep_their_raw_values_and_reasons_exactly(
    engine: str, platform: str
) -> None:
    """Rejected rows are written in bulk (COPY on PostgreSQL): the untouched values and the
    reasons read back exactly as given, quotes, separators, line breaks, accents and empty
    values included; a repeat is linked, not written again."""
    from healthai.models import IngestionRun, QuarantineRepeat
    from healthai.pipeline.contract import Rejected

    spec = SOURCES["sim_biometrics"]
    tricky = {"user_key": 'a "b", c\nd', "date": "", "weight_kg": None, "note": "é;\\t,"}
    reason = {"rule": "out_of_range", "column": "weight_kg", "value": "9,5", "params": {"min": 1}}
    with session_for(platform) as session:
        source = landing.ensure_source(session, spec)
        session.flush()
        run = IngestionRun(source_id=source.id, status="running")
        session.add(run)
        session.flush()
        landed = ingest.Landed(spec.name, run.id, Path("x.csv"), "f" * 64, datetime.now(UTC))
        rows = [Rejected(record=i, raw={**tricky, "n": i}, reasons=[reason]) for i in (1, 2)]
        repeat = Rejected(record=3, raw={**tricky, "n": 1}, reasons=[reason])
        assert ingest._quarantine(session, source.id, landed, [*rows, repeat]) == 1
    with session_for(platform) as session:
        stored = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.id)).all()
        assert [(q.source_record, q.raw, q.reasons, q.status) for q in stored] == [
            (str(i), {**tricky, "n": i}, [reason], "open") for i in (1, 2)
        ]
        assert stored[0].created_at is not None and stored[0].fingerprint
        linked = session.scalar(select(QuarantineRepeat))
        assert (linked.quarantined_row_id, linked.source_record) == (stored[0].id, "3")
