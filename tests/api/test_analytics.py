"""Analytics figures, checked by hand on the seeded members of organisation B (no other test
adds rows for them), as its partner sees them; and the quality summary."""

from __future__ import annotations

from datetime import date

from tests.api.conftest import Env


def get(env: Env, path: str, role: str = "partner_b", **params):  # noqa: ANN003, ANN201
    r = env.client.get(f"/analytics/{path}", params=params, headers=env.headers[role])
    assert r.status_code == 200, r.text
    return r.json()


def test_user_metrics(env: Env) -> None:
    age = date.today().year - 1999
    bands = {b["band"]: b["users"] for b in get(env, "users/age-distribution")}
    expected = next(
        b
        for b in bands
        if b != "unknown" and "-" in b and int(b.split("-")[0]) <= age <= int(b.split("-")[1])
    )
    assert bands[expected] == 1 and sum(bands.values()) == 1
    assert get(env, "users/goals") == [{"goal": "gain_muscle", "users": 1}]
    prog = get(env, "users/progression", metric="weight_kg")
    assert prog["users_with_progression"] == 1 and prog["mean_change"] == -1.5
    assert prog["mean_change_per_week"] == round(-1.5 / (19 / 7), 3)
    assert prog["share_decreasing"] == 1.0


def test_nutrition(env: Env) -> None:
    trends = get(env, "nutrition/trends")
    assert [(t["date"], t["users"], t["energy_kcal"]) for t in trends] == [
        ("2026-01-01", 1, 601.0),
        ("2026-01-02", 1, 602.0),
    ]
    assert get(env, "nutrition/trends", since="2026-01-02")[0]["date"] == "2026-01-02"
    gaps = {g["nutrient"]: g for g in get(env, "nutrition/reference-gaps")}
    # a man eating 601.5 kcal and 30 g of protein a day: both in deficit (< 80 %)
    assert gaps["energy_kcal"]["deficit"] == 1 and gaps["energy_kcal"]["reference"] == 2500
    assert gaps["protein_g"]["deficit"] == 1 and gaps["protein_g"]["sex"] == "male"


def test_fitness_and_business(env: Env) -> None:
    assert get(env, "fitness/top-workouts") == [
        {"workout_type": "running", "sessions": 1, "users": 1, "minutes": 30.0}
    ]
    assert get(env, "fitness/intensity") == [{"intensity": "high", "sessions": 1}]
    eng = get(env, "business/engagement")
    assert (eng["dau"], eng["wau"], eng["mau"], eng["retention_d7"]) == (1, 1, 1, 0.0)
    assert get(env, "business/engagement", as_of="2026-03-01T00:00:00Z")["mau"] == 0
    conv = get(env, "business/conversion")
    assert conv["by_plan"] == {"free": 1} and conv["conversion_rate"] == 0.0
    assert get(env, "business/satisfaction") == {"answers": 1, "mean_score": 9.0, "nps": 100.0}


def test_quality(env: Env) -> None:
    q = get(env, "quality", role="analyst")
    assert q["batches_by_status"]["published"] >= 1


def test_quality_scores_per_source(env: Env) -> None:
    from sqlalchemy import select

    from healthai.models import QualityMetric, QualitySnapshot, Source

    with env.session() as s:
        source = s.scalar(select(Source).where(Source.name == "fixture"))
        snap = QualitySnapshot(
            source_id=source.id,
            score=0.9,
            threshold=0.8,
            validity=0.95,
            stale=False,
            volume_anomaly=False,
            quarantine_open=2,
            alerts=[],
        )
        s.add(snap)
        s.flush()
        s.add(
            QualityMetric(
                snapshot_id=snap.id,
                source_id=source.id,
                dimension="validity",
                rule="contract",
                value=0.95,
                numerator=19,
                denominator=20,
                passed=True,
                detail={},
            )
        )
        s.commit()
    latest = {q["source"]: q for q in get(env, "quality/sources", role="analyst")}
    assert latest["fixture"]["score"] == 0.9 and latest["fixture"]["below_threshold"] is False
    detail = get(env, "quality/sources/fixture", role="steward")
    assert [(m["rule"], m["value"]) for m in detail["metrics"]] == [("contract", 0.95)]
    assert len(get(env, "quality/sources/fixture/history", role="analyst")) >= 1
    r = env.client.get("/analytics/quality/sources/fixture", headers=env.headers["partner"])
    assert r.status_code == 403


def test_periods(env: Env) -> None:
    """date_from / date_to keep the facts of the period only (org B's hand-checked rows)."""
    day1 = {"date_from": "2026-01-01", "date_to": "2026-01-01"}
    assert [t["date"] for t in get(env, "nutrition/trends", **day1)] == ["2026-01-01"]
    # the former names still work
    assert get(env, "nutrition/trends", since="2026-01-02") == get(
        env, "nutrition/trends", date_from="2026-01-02"
    )
    # one weight inside the period: measured, but no progression
    prog = get(env, "users/progression", metric="weight_kg", date_to="2026-01-10")
    assert (prog["users_measured"], prog["users_with_progression"]) == (1, 0)
    assert get(env, "fitness/top-workouts", date_from="2026-01-02") == []
    assert get(env, "fitness/intensity", **day1) == [{"intensity": "high", "sessions": 1}]
    eng = get(env, "business/engagement", date_from="2026-01-02")
    assert (eng["users_with_sessions"], eng["mau"]) == (0, 0)
    assert get(env, "business/engagement", **day1)["mau"] == 1
    assert get(env, "business/satisfaction", date_to="2026-01-02")["answers"] == 0
    assert get(env, "business/satisfaction", date_from="2026-01-03")["answers"] == 1
    conv = get(env, "business/conversion", date_from="2026-01-01")
    assert conv["by_plan"] == {"free": 1} and conv["free_users_with_history"] == 0
    # a start after the end is an empty period (the schema allows it): no fact counts
    reversed_period = {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    assert get(env, "business/satisfaction", **reversed_period)["answers"] == 0
    assert get(env, "fitness/top-workouts", **reversed_period) == []
    assert get(env, "business/engagement", **reversed_period)["mau"] == 0
    assert get(env, "users/progression", **reversed_period)["users_measured"] == 0
    assert get(env, "nutrition/trends", **reversed_period) == []
    # dates only as YYYY-MM-DD: a number is not taken as a Unix timestamp
    for bad in ("0", "1767225600", "2026-1-1", "2026-01-01T00:00:00"):
        r = env.client.get(
            "/analytics/business/satisfaction",
            params={"date_from": bad},
            headers=env.headers["partner_b"],
        )
        assert r.status_code == 422, bad
