"""The simulation: same seed, same bytes; series consistent with the profiles; every file
readable by the pipeline; and a small end-to-end ingestion whose counts add up."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from healthai.db import get_engine, session_scope
from healthai.models import Batch, IngestionRun, metadata
from healthai.pipeline import batches
from healthai.pipeline.contract import validate
from healthai.pipeline.readers import read_file
from healthai.settings import get_settings
from healthai.simulate import (
    ORGANISATIONS,
    XLSX_MAX_ROWS,
    SimConfig,
    make_profiles,
    published_profiles,
    seed_organisations,
    simulate,
)
from healthai.sources import SOURCES
from healthai.sources.simulated import METRIC_COLUMNS, SPECS
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, materialize_sources, session_for

SMALL = SimConfig(users=150, days=100, seed=7)


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("sim")
    return out, simulate(SMALL, out)


def frames(out: Path, source: str) -> pd.DataFrame:
    files = sorted((out / source).iterdir())
    if files[0].suffix == ".csv":
        return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    if files[0].suffix == ".json":
        return pd.concat([pd.read_json(f) for f in files], ignore_index=True)
    return pd.concat([pd.read_excel(f, engine="calamine") for f in files], ignore_index=True)


def test_same_seed_same_bytes(small: tuple[Path, object], tmp_path: Path) -> None:
    out, _ = small
    again = simulate(SMALL, tmp_path / "again")
    assert digests(tmp_path / "again") == digests(out)
    assert {p.suffix for files in again.files.values() for p in files} == {
        ".csv",
        ".json",
        ".xlsx",
    }
    other = SimConfig(users=SMALL.users, days=SMALL.days, seed=SMALL.seed + 1)
    simulate(other, tmp_path / "other")
    assert digests(tmp_path / "other") != digests(out)


def test_splitting_keeps_the_rows_and_caps_xlsx(small: tuple[Path, object], tmp_path: Path):
    out, result = small
    cfg = SimConfig(SMALL.users, SMALL.days, SMALL.seed, rows_per_file=2_000)
    split = simulate(cfg, tmp_path)
    assert split.rows == result.rows
    assert len(split.files["sim_biometrics"]) > 1
    for source in ("sim_biometrics", "sim_app_sessions", "sim_subscriptions"):
        pd.testing.assert_frame_equal(frames(tmp_path, source), frames(out, source))
    assert XLSX_MAX_ROWS == 1_048_576 - 1


def test_series_follow_the_profiles(small: tuple[Path, object]) -> None:
    out, _ = small
    profiles = make_profiles(SMALL).set_index("external_key")
    users = frames(out, "sim_users").set_index("external_key")
    bio = frames(out, "sim_biometrics")
    # the published profile is the generated one (weight excepted: not a users column)
    assert (users["height_cm"] == profiles["height_cm"]).all()
    assert (users["sex"] == profiles["sex"]).all()
    weighed = bio.dropna(subset=["weight_kg"])
    first = weighed.groupby("user_key").first()
    assert len(first) == SMALL.users  # every user weighs in on the first day
    gap = (first["weight_kg"] - profiles.loc[first.index, "weight_kg"]).abs()
    assert gap.max() < 2.0  # the first weigh-in is the profile's weight (+ daily noise)
    drift = weighed.groupby("user_key")["weight_kg"].agg(lambda s: s.max() / s.min())
    assert drift.max() < 1.2
    height = users.loc[weighed["user_key"], "height_cm"].to_numpy() / 100
    assert np.allclose(weighed["bmi"], weighed["weight_kg"] / height**2, atol=0.05)
    age = 2025 - users.loc[weighed["user_key"], "birth_year"].to_numpy()
    male = (users.loc[weighed["user_key"], "sex"] == "male").to_numpy()
    deurenberg = 1.2 * weighed["bmi"] + 0.23 * age - 10.8 * male - 5.4
    assert (weighed["body_fat_pct"] - deurenberg).abs().quantile(0.99) < 8
    assert bio["sleep_hours"].dropna().between(3, 12).all() and bio["steps"].dropna().ge(0).all()
    # plans: B2B users (and only they) have an organisation; the current plan is the last one
    plans = frames(out, "sim_subscriptions")
    last = plans.groupby("user_key")["plan_tier"].last()
    assert (last.reindex(users.index) == users["plan_tier"]).all()
    assert ((users["plan_tier"] == "b2b") == users["organisation"].notna()).all()
    assert set(users["organisation"].dropna()) <= {o["slug"] for o in ORGANISATIONS}
    assert set(plans["plan_tier"]) == {"free", "premium", "premium_plus", "b2b"}
    # nothing happens before a user signs up (their first plan period)
    signup = plans.groupby("user_key")["started_on"].min()
    sessions = frames(out, "sim_app_sessions")
    started = pd.to_datetime(sessions["started_at"]).dt.tz_localize(None).dt.normalize()
    assert (started >= signup.reindex(sessions["user_key"]).to_numpy()).all()
    surveys = frames(out, "sim_surveys")
    assert surveys["score"].between(0, 10).all() and len(surveys) > 0


def test_published_profiles_are_followed(tmp_path: Path) -> None:
    profiles = pd.DataFrame(
        {
            "external_key": ["gym_members:a", "gym_members:b"],
            "birth_year": [1980, 1995],
            "sex": ["male", "female"],
            "height_cm": [180.0, 160.0],
            "weight_kg": [95.0, 52.0],
            "goal": [None, "health"],
            "activity_level": ["active", None],
            "experience_level": [2, 1],
        }
    ).fillna({"goal": "health", "activity_level": "moderate"})
    result = simulate(SimConfig(days=30, seed=1), tmp_path, profiles)
    assert "sim_users" not in result.rows
    bio = frames(tmp_path, "sim_biometrics")
    mean = bio.groupby("user_key")["weight_kg"].mean()
    assert abs(mean["gym_members:a"] - 95) < 4 and abs(mean["gym_members:b"] - 52) < 3


def test_every_file_passes_its_contract(small: tuple[Path, object]) -> None:
    out, result = small
    for spec in SPECS:
        assert SOURCES[spec.name] is spec  # declared in the registry
        read = 0
        for path in result.files[spec.name]:
            raw = read_file(path, spec.format, **spec.read_options)
            checked = validate(spec.normalise(raw.frame.copy()), spec.contract, raw.frame)
            assert not raw.malformed and not checked.rejected, (path.name, checked.rejected[:2])
            read += raw.rows_in
        assert read == result.rows[spec.name]


def test_a_broken_xlsx_is_refused_and_bad_rows_quarantined(tmp_path: Path) -> None:
    from healthai.pipeline.errors import ContractError

    spec = SOURCES["sim_surveys"]
    wrong = tmp_path / "wrong.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(wrong, sheet_name="other", index=False)
    with pytest.raises(ContractError, match="no sheet named 'surveys'"):
        read_file(wrong, "xlsx", **spec.read_options)
    bad = tmp_path / "bad.xlsx"
    pd.DataFrame(
        {
            "user_key": ["sim:u1", "sim:u2", "sim:u2"],
            "answered_on": ["2025-01-02", "2025-01-02", "2025-01-02"],
            "score": [11, 7, 7],
            "comment": [None, "ok", "ok"],
        }
    ).to_excel(bad, sheet_name="surveys", index=False)
    raw = read_file(bad, "xlsx", **spec.read_options)
    checked = validate(spec.normalise(raw.frame.copy()), spec.contract, raw.frame)
    rules = sorted(r["rule"] for q in checked.rejected for r in q.reasons)
    assert len(checked.valid) == 1
    assert rules == ["one_answer_per_day", "out_of_range"]


def expected_counts(out: Path) -> dict[str, int]:
    """Counted from the files with the standard library, independently of the pipeline."""

    def csv_rows(source: str) -> list[dict[str, str]]:
        return [r for p in sorted((out / source).iterdir()) for r in csv.DictReader(p.open())]

    bio = csv_rows("sim_biometrics")
    sessions = [
        r for p in sorted((out / "sim_app_sessions").iterdir()) for r in json.load(p.open())
    ]
    return {
        "users": len(csv_rows("sim_users")),
        "b2b": sum(1 for r in csv_rows("sim_users") if r["plan_tier"] == "b2b"),
        "biometric_rows": len(bio),
        "biometric_measurements": sum(1 for r in bio for m in METRIC_COLUMNS if r[m] != ""),
        "app_sessions": len(sessions),
        "subscriptions": len(frames(out, "sim_subscriptions")),
        "satisfaction_surveys": len(frames(out, "sim_surveys")),
    }


def approve_all(db_url: str) -> list[int]:
    with session_for(db_url) as session:
        ids = list(session.scalars(select(Batch.id).where(Batch.status == "audited")))
        for batch_id in ids:
            batches.approve(session, batch_id, "steward@test")
            batches.publish(session, batch_id, "steward@test")
    return ids


@pytest.mark.parametrize("engine", ENGINES)
def test_simulated_sources_end_to_end(engine: str, platform: str) -> None:
    out = get_settings().landing_dir
    simulate(SimConfig(users=60, days=45, seed=11), out)
    exp = expected_counts(out)
    with session_scope(get_engine(platform)) as session:
        assert seed_organisations(session) == len(ORGANISATIONS)
        assert seed_organisations(session) == 0  # idempotent

    assert materialize_sources(platform, "sim_users").success
    assert len(approve_all(platform)) == 1
    facts = ["sim_biometrics", "sim_app_sessions", "sim_subscriptions", "sim_surveys"]
    assert materialize_sources(platform, *facts).success
    assert len(approve_all(platform)) == 4

    assert count(platform, "users") == exp["users"]
    for table in ("biometric_measurements", "app_sessions", "subscriptions"):
        assert count(platform, table) == exp[table], table
    assert count(platform, "satisfaction_surveys") == exp["satisfaction_surveys"]
    users = metadata.tables["users"]
    with session_for(platform) as session:
        b2b = session.scalar(
            select(func.count()).select_from(users).where(users.c.organisation_id.is_not(None))
        )
        assert b2b == exp["b2b"]
        runs = {r.source.name: r for r in session.scalars(select(IngestionRun))}
        assert set(runs) == {"sim_users", *facts}
        for run in runs.values():
            assert run.rows_in == run.rows_published + run.rows_quarantined + run.rows_duplicate
            assert run.rows_quarantined == 0 and run.status == "succeeded"
        assert runs["sim_biometrics"].rows_in == exp["biometric_rows"]
        # the generator can follow the published users (here: the simulated ones)
        assert len(published_profiles(session)) == exp["users"]

    # the same files again publish nothing twice
    assert materialize_sources(platform, "sim_users", *facts).success
    assert approve_all(platform) == []


@pytest.mark.parametrize("engine", ["sqlite"])
def test_series_for_published_gym_members(engine: str, platform: str) -> None:
    """Follow the published gym members: their facts publish with no users file, and the
    simulated weights start from each member's published weight."""
    assert materialize_sources(platform, "gym_members").success
    approve_all(platform)
    with session_for(platform) as session:
        profiles = published_profiles(session).head(40)
    assert len(profiles) == 40 and profiles["external_key"].str.startswith("gym_members:").all()
    out = get_settings().landing_dir
    result = simulate(SimConfig(days=20, seed=5), out, profiles)
    assert "sim_users" not in result.rows
    users_before = count(platform, "users")
    assert materialize_sources(platform, "sim_biometrics", "sim_app_sessions").success
    assert len(approve_all(platform)) == 2
    assert count(platform, "users") == users_before
    assert count(platform, "app_sessions") == result.rows["sim_app_sessions"]
    bio = frames(out, "sim_biometrics")
    first = bio.dropna(subset=["weight_kg"]).groupby("user_key")["weight_kg"].first()
    start = profiles.set_index("external_key")["weight_kg"]
    assert (first - start.reindex(first.index)).abs().max() < 2.0
