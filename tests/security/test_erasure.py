"""Finding 11 (#14): after `DELETE /users/{id}`, nothing of the person remains.

The person has everything a real user leaves behind: published profile, measurements,
sessions and plans (simulated sources ingested through the real Dagster assets), a staged row
in a batch waiting for approval, a quarantined row and a malformed line, a file waiting in the
landing zone, reads and an export in the personal-data access log, changes and a correction in
the audit log, and rows in the consolidated export. After the erasure, as an auditor would,
the test reads every row of every table of the database (reflected, so tables added later are
searched too) and every file under the platform's folders (unzipping workbooks, decoding
Parquet) for the person's natural key, their pseudonym and, where a log names a person, their
ids: nothing may be found. Then it checks that the others lost nothing: a bystander's pending
row is published, the lineage of the remaining rows still points at the right line of the
rewritten files, every run still adds up, and ingesting the landing zone again brings neither
the person back nor a rewritten file in as new.

Before the fix: the quarantined rows, the staged row, the raw-store and landing files, the
access log's ids and paths, the audit log's correction values and the consolidated files all
still held the person."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import secrets
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, func, select

from api.main import create_app
from healthai.access import create_token
from healthai.db import get_engine
from healthai.models import (
    ApiAccount,
    Batch,
    BiometricMeasurement,
    IngestionRun,
    QuarantinedRow,
    RawFile,
    User,
)
from healthai.pipeline import batches, consolidated
from healthai.pipeline.readers import iter_file
from healthai.settings import get_settings
from healthai.simulate import SimConfig, seed_organisations, simulate
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for

FACTS = ["sim_biometrics", "sim_app_sessions", "sim_subscriptions", "sim_surveys"]
SIM = ["sim_users", *FACTS]


def _approve_all(url: str) -> None:
    with session_for(url) as session:
        for batch_id in session.scalars(select(Batch.id).where(Batch.status == "audited")):
            batches.approve(session, batch_id, "steward@test")
            batches.publish(session, batch_id, "steward@test")


def _mac(settings, message: str) -> str:  # noqa: ANN001
    key = settings.pseudonym_secret.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _file_text(path: Path) -> str:
    """What an auditor reads in a file: workbooks unzipped, Parquet decoded."""
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    return data.decode("utf-8", "replace")


def _found(text: str, needle: str) -> bool:
    return re.search(rf"(?<![\w:]){re.escape(needle)}(?!\w)", text) is not None


def leftovers(url: str, folders: list[Path], needles: list[str]) -> list[str]:
    """Every row of every table and every file that still holds one of the needles."""
    found = []
    engine = get_engine(url)
    reflected = MetaData()
    reflected.reflect(engine)
    with engine.connect() as conn:
        for table in reflected.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                text = json.dumps(dict(row), default=str, ensure_ascii=False)
                found += [f"table {table.name}: {text[:300]}" for n in needles if _found(text, n)]
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = _file_text(path)
            found += [
                f"file {path.relative_to(folder.parent)}: {n}" for n in needles if _found(text, n)
            ]
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_erasure_leaves_nothing_of_the_person(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSEUDONYM_SECRET", secrets.token_urlsafe(32))
    monkeypatch.setenv("JWT_SECRET", secrets.token_urlsafe(32))
    monkeypatch.setenv("REPORTS_DIR", str(tmp_path / "profiles_reports"))
    get_settings.cache_clear()
    settings = get_settings()
    landing = settings.landing_dir
    simulate(SimConfig(users=12, days=60, seed=3), landing)
    with session_for(platform) as session:
        seed_organisations(session)
    assert materialize_sources(platform, "sim_users").success
    _approve_all(platform)
    assert materialize_sources(platform, *FACTS).success
    _approve_all(platform)

    with session_for(platform) as session:
        per_user = dict(
            session.execute(
                select(BiometricMeasurement.user_id, func.count()).group_by(
                    BiometricMeasurement.user_id
                )
            ).all()
        )
        victim_id, bystander_id = sorted(per_user, key=lambda u: (-per_user[u], u))[:2]
        victim = session.get(User, victim_id).external_key
        bystander = session.get(User, bystander_id).external_key
        metric_id = session.scalar(
            select(BiometricMeasurement.id).where(BiometricMeasurement.user_id == victim_id)
        )
    # a late biometrics file: the person's new row (staged), a bad row and a malformed line
    # (quarantined), and a bystander's row (staged)
    late = landing / "sim_biometrics" / "biometrics-late.csv"
    late.write_text(
        "user_key,date,weight_kg,body_fat_pct,bmi,sleep_hours,resting_hr_bpm,steps\n"
        f"{victim},2025-06-01,70.1,20.0,23.1,7.0,60,5000\n"
        f"{victim},2025-06-02,999,20.0,23.1,7.0,60,5000\n"
        f"{bystander},2025-06-01,80.2,25.0,26.1,6.5,64,4200\n"
        f"{victim},2025-06-03,70.2\n"
    )
    assert materialize_sources(platform, "sim_biometrics").success
    # a sessions file waiting in the landing zone, not ingested yet
    waiting = landing / "sim_app_sessions" / "app_sessions-waiting.json"
    waiting.write_text(
        json.dumps(
            [
                {
                    "user_key": victim,
                    "started_at": "2025-06-01T08:00:00Z",
                    "duration_s": 60,
                    "platform": "ios",
                },
                {
                    "user_key": bystander,
                    "started_at": "2025-06-01T09:00:00Z",
                    "duration_s": 90,
                    "platform": "web",
                },
            ]
        )
    )
    with session_for(platform) as session:
        bad = session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.status == "open")
            .order_by(QuarantinedRow.id)
        ).all()
        assert len(bad) == 2, [q.raw for q in bad]
        value_row = next(q for q in bad if "weight_kg" in q.raw)
        for name, role in (("admin", "admin"), ("steward", "steward")):
            session.add(ApiAccount(username=name, password_hash="x", role=role))
    with session_for(platform) as session:
        accounts = {a.username: a for a in session.scalars(select(ApiAccount))}
    headers = {
        n: {"Authorization": f"Bearer {create_token(settings, a.id, a.token_version)[0]}"}
        for n, a in accounts.items()
    }
    client = TestClient(create_app(settings, get_engine(platform)))
    admin, steward = headers["admin"], headers["steward"]
    # reads, writes and an export that the logs keep
    assert client.get(f"/users/{victim_id}", headers=admin).status_code == 200
    assert client.get("/metrics", params={"user_id": victim_id}, headers=admin).status_code == 200
    assert client.get(f"/metrics/{metric_id}", headers=steward).status_code == 200
    assert client.get(f"/quarantine/{value_row.id}", headers=steward).status_code == 200
    r = client.get("/exports/metrics", params={"user_id": victim_id}, headers=admin)
    assert r.status_code == 200
    assert client.patch(f"/users/{victim_id}", json={"goal": "health"}, headers=admin).is_success
    made = client.post(
        "/metrics",
        json={
            "user_id": victim_id,
            "metric": "weight_kg",
            "value": 71.5,
            "measured_at": "2025-06-05T07:00:00Z",
        },
        headers=steward,
    )
    assert made.status_code == 201, made.text
    fixed = client.post(
        f"/quarantine/{value_row.id}/correct",
        json={"changes": {"weight_kg": "998"}},
        headers=steward,
    )
    assert fixed.status_code == 200 and not fixed.json()["valid"], fixed.text
    with session_for(platform) as session:
        consolidated.export(session, settings.var_dir / "consolidated", settings)
        pending_before = session.scalar(select(func.count()).select_from(Batch))
    needles = [victim, victim.split(":")[1], _mac(settings, f"user:{victim_id}")[:16]]
    # a profiling report of the users' file shows sample rows: one naming the person (the
    # profiler itself takes a minute a source; what it writes is what matters here)
    settings.reports_dir.mkdir(parents=True)
    sample = f"<table><tr><td>{victim}</td><td>1984</td></tr></table>"
    (settings.reports_dir / "sim_users_raw.html").write_text(sample)
    folders = [settings.var_dir, settings.raw_store_dir, settings.landing_dir, settings.reports_dir]
    assert leftovers(platform, folders, needles)  # the search finds them before

    assert client.delete(f"/users/{victim_id}", headers=admin).status_code == 204

    found = leftovers(platform, folders, needles)
    with session_for(platform) as session:
        logs = MetaData()
        logs.reflect(session.get_bind(), only=["personal_data_access", "audit_log"])
        access, audit = logs.tables["personal_data_access"], logs.tables["audit_log"]
        for entry in session.execute(select(access)).mappings():
            detail = entry["detail"] or {}
            ids = {detail.get("id"), (detail.get("filters") or {}).get("user_id")}
            if victim_id in ids and entry["resource"] in ("users", "biometric_measurements"):
                found.append(f"access log names the person or their rows: {dict(entry)}")
            if re.search(rf"/(users/{victim_id}|metrics/{metric_id})(/|$)", entry["path"]):
                found.append(f"access log path names them: {dict(entry)}")
        for entry in session.execute(select(audit)).mappings():
            if (entry["entity"], entry["entity_id"]) == ("users", victim_id):
                found.append(f"audit log names the person: {dict(entry)}")
            if entry["entity"] == "quarantined_rows" and "999" in json.dumps(
                [entry["before"], entry["after"]]
            ):
                found.append(f"audit log keeps their quarantined values: {dict(entry)}")
    if client.get(f"/quarantine/{value_row.id}", headers=steward).status_code != 404:
        found.append(f"GET /quarantine/{value_row.id} still answers their raw row")
    assert not found, "\n".join(found)

    # the others lost nothing: the bystander's pending row publishes, lineage still holds
    _approve_all(platform)
    with session_for(platform) as session:
        rows = session.scalars(
            select(BiometricMeasurement).where(BiometricMeasurement.user_id == bystander_id)
        ).all()
        assert any(r.measured_at.date().isoformat() == "2025-06-01" for r in rows)
        for row in rows[:: max(1, len(rows) // 10)]:
            raw = session.scalar(select(RawFile).where(RawFile.sha256 == row.source_sha256))
            part = next(iter_file(Path(raw.stored_path), "csv"))
            line = part.frame[part.frame["_record"] == int(row.source_record)]
            assert list(line["user_key"]) == [bystander], row.source_record
        # every run adds up, whatever categories it counts
        runs = MetaData()
        runs.reflect(session.get_bind(), only=["ingestion_runs"])
        table = runs.tables["ingestion_runs"]
        parts = [c for c in table.c if c.name.startswith("rows_") and c.name != "rows_in"]
        for run in session.execute(select(table)).mappings():
            if run["status"] not in ("running", "failed"):
                assert run["rows_in"] == sum(run[c.name] for c in parts), dict(run)
        assert session.scalar(select(func.count()).select_from(IngestionRun)) > 5
    # ingesting the landing zone again: the rewritten files are known, the person stays gone
    assert materialize_sources(platform, *SIM).success
    with session_for(platform) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(User).where(User.external_key == victim)
            )
            == 0
        )
        new = session.scalars(select(Batch).where(Batch.id > pending_before)).all()
        # only the waiting sessions file is new, without the person
        assert [b.source.name for b in new] == ["sim_app_sessions"], [
            (b.source.name, b.rows_by_table) for b in new
        ]
    assert not leftovers(platform, folders, needles)


@pytest.mark.parametrize(
    "source", ["diet_recommendations", "daily_food_nutrition_v1_log", "fitbit_daily_activity", *SIM]
)
def test_person_key_names_the_person_the_pipeline_would(source: str, tmp_path: Path) -> None:
    """Erasure finds a person's raw rows with the source's `person_key`: on real files it must
    name, for every row the pipeline keeps, the very users.external_key the pipeline gives it
    (the declaration and the cleaning must not drift apart)."""
    from datetime import UTC, datetime

    from healthai.pipeline.contract import validate
    from healthai.pipeline.spec import CleanContext
    from healthai.settings import PROJECT_ROOT
    from healthai.sources import SOURCES

    spec = SOURCES[source]
    if source.startswith("sim_"):
        simulate(SimConfig(users=60, days=90, seed=5), tmp_path)
        path = sorted((tmp_path / source).iterdir())[0]
    else:
        path = sorted((PROJECT_ROOT / "raw").glob(spec.location))[0]
    raw = next(iter_file(path, spec.format, 3000, **spec.read_options)).frame
    named = spec.person_key(spec.normalise(raw.copy()))
    by_record = dict(zip(raw["_record"], named, strict=True))
    valid = validate(spec.normalise(raw.copy()), spec.contract, raw).valid
    tables = spec.transform(valid, CleanContext(source, "0" * 64, datetime.now(UTC)))
    checked = 0
    for table in tables.values():
        column = next((c for c in ("external_key", "user_key") if c in table.columns), None)
        if column is None:
            continue
        for record, key in zip(table["_record"], table[column], strict=True):
            assert by_record[record] == key, (record, key, by_record[record])
            checked += 1
    assert checked > 20


CSV_FILE = (
    "\ufeffExport of 2025-06-01;;\r\n"  # a title line above the header
    "user_key;date;weight_kg\r\n"
    "sim:a;2025-01-01;70,5\r\n"
    "\r\n"
    'sim:b;"2025-01\r\n-02";71\r\n'  # a quoted line break: one record on two lines
    "sim:c;2025-01-03;72;oops;more\r\n"  # malformed: too many fields
    "sim:d;2025-01-04;73\r\n"
    ";;\r\n"  # separators only: no record
    "sim:e;2025-01-05;74\r\n"
)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_blanking_keeps_every_other_record_in_its_place(fmt: str, tmp_path: Path) -> None:
    """The readers see the same records, with the same numbers, in the rewritten file, except
    the blanked ones, which are gone (CSV, XLSX) or empty (JSON): the lineage of every other
    row still holds, and nothing of the blanked ones is left in the bytes."""
    import openpyxl

    from healthai.pipeline.readers import iter_source
    from healthai.pipeline.redact import redact
    from healthai.sources import SOURCES

    spec = SOURCES[{"csv": "sim_biometrics", "json": "sim_app_sessions"}.get(fmt, "sim_surveys")]
    path = tmp_path / f"file.{fmt}"
    if fmt == "csv":
        path.write_bytes(CSV_FILE.encode("utf-8"))
    elif fmt == "json":
        keys = ["sim:a", "sim:b", "sim:c", "sim:d", "sim:e"]
        path.write_text(json.dumps({"data": [{"user_key": k, "date": "2025-01-01"} for k in keys]}))
    else:
        book = openpyxl.Workbook()
        ws = book.active
        ws.title = "surveys"
        ws.append(["Export of 2025-06-01"])
        ws.append(["user_key", "answered_on", "score"])
        for i, k in enumerate(["sim:a", "sim:b", None, "sim:c", "sim:d", "sim:e"]):
            ws.append([k, f"2025-01-0{i + 1}", 70 + i] if k else [None, None, None])
        book.save(path)

    def read(p: Path) -> dict[int, str | None]:
        part = next(iter_source(p, spec))
        rows = {
            int(r): k for r, k in zip(part.frame["_record"], part.frame["user_key"], strict=True)
        }
        return rows | {int(m["_record"]): m["raw"].get("line") for m in part.malformed}

    before = read(path)
    by_key = {k if k is None or k.startswith("sim:") else k[:5]: r for r, k in before.items()}
    gone = {by_key["sim:b"], by_key["sim:d"]}
    if "sim:c;2025" in by_key:  # the malformed CSV line
        gone.add(by_key["sim:c;2025"])
    after_path = tmp_path / f"after.{fmt}"
    after_path.write_bytes(redact(path, spec, gone))
    after = read(after_path)
    kept = {r: k for r, k in before.items() if r not in gone}
    if fmt == "json":
        assert {r: k for r, k in after.items() if r not in gone} == kept
        assert all(after.get(r) is None for r in gone)
    else:
        assert after == kept
    text = _file_text(after_path)
    assert not any(_found(text, k) for k in ("sim:b", "sim:d")), text
    assert _found(text, "sim:e")
