"""The Overview's period filter applies to every figure: for each period chosen with the
keyboard, every indicator shown equals what the API's /analytics endpoints answer for the
same `date_from`. Dated facts (sessions, surveys, workouts, meals) are added a few days and
a few weeks before today, through the ORM as the API writes them, so that the periods differ."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.i18n import fmt_num, fmt_pct
from healthai.db import make_engine
from healthai.models import (
    AppSession,
    Batch,
    MealLog,
    SatisfactionSurvey,
    Source,
    User,
    WorkoutSession,
)
from healthai.pipeline import aggregates
from tests.browser.helpers import assert_axe_clean, screenshot, sign_in, tab_to, wait_ready

pytestmark = pytest.mark.browser

# label of each KPI on the page (French), in the order of the page
LABELS = {
    "users": "Utilisateurs",
    "premium_share": "Part premium",
    "conversion_rate": "Conversion vers premium",
    "mau": "Actifs sur 30 jours",
    "nps": "Indice de recommandation net (NPS)",
    "mean_energy": "Apport énergétique moyen (kcal/jour)",
    "workouts": "Séances d'entraînement",
}


@pytest.fixture(scope="module")
def dated_facts(dashboard_db: dict[str, str]) -> dict[str, str]:
    """Facts 1-3 days and 40-60 days old for forty published users (half of them in the
    test organisation): the 7-day, 90-day and whole-history figures all differ."""
    today = date.today()
    engine = make_engine(dashboard_db["DATABASE_URL"])
    with Session(engine) as s, s.begin():
        source = Source(
            name="overview_period_fixture",
            title="Browser test fixture",
            format="csv",
            location="tests",
            owner="tests",
            licence="none",
            update_frequency="never",
        )
        s.add(source)
        s.flush()
        batch = Batch(source_id=source.id, status="published", rows_by_table={})
        s.add(batch)
        s.flush()
        users = list(s.scalars(select(User.id).order_by(User.id).where(User.id.between(81, 120))))
        for i, user in enumerate(users):
            for age in (1 + i % 3, 40 + i % 20):
                day = today - timedelta(days=age)
                lineage = {
                    "batch_id": batch.id,
                    "source_sha256": "0" * 64,
                    "source_record": f"{user}-{age}",
                }
                s.add_all(
                    [
                        AppSession(
                            user_id=user,
                            started_at=datetime.combine(day, time(9 + i % 8), UTC),
                            duration_s=120,
                            platform="web",
                            **lineage,
                        ),
                        SatisfactionSurvey(
                            user_id=user, answered_on=day, score=(i * 3 + age) % 11, **lineage
                        ),
                        WorkoutSession(
                            user_id=user,
                            workout_type="cycling",
                            performed_on=day,
                            duration_min=20 + i,
                            intensity=("low", "moderate", "high")[i % 3],
                            **lineage,
                        ),
                        MealLog(
                            user_id=user,
                            eaten_on=day,
                            meal_type="lunch",
                            food_label="plat du jour",
                            energy_kcal=500 + 10 * i + age,
                            **lineage,
                        ),
                    ]
                )
        s.flush()
        aggregates.rebuild(s)  # rows written directly: the aggregates made explicitly
    engine.dispose()
    return dashboard_db


@contextmanager
def _api(env: dict[str, str]) -> Iterator[tuple[Any, dict[str, str]]]:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from healthai.access import create_token
    from healthai.models.accounts import ApiAccount
    from healthai.settings import Settings

    settings = Settings(database_url=env["DATABASE_URL"], environment="test")
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        account = session.scalar(select(ApiAccount).where(ApiAccount.username == "analyst"))
    token, _, _ = create_token(settings, account.id, account.token_version)
    try:
        with TestClient(create_app(settings, engine)) as client:
            yield client, {"Authorization": f"Bearer {token}"}
    finally:
        engine.dispose()


def api_indicators(env: dict[str, str], days: int) -> dict[str, str]:
    """The Overview's seven figures computed from the API's answers, written as the page
    writes them (French)."""
    params = {"date_from": (date.today() - timedelta(days=days)).isoformat()} if days else {}
    with _api(env) as (client, headers):

        def get(path: str) -> Any:
            r = client.get(f"/analytics/{path}", params=params, headers=headers)
            assert r.status_code == 200, r.text
            return r.json()

        conv = get("business/conversion")
        eng = get("business/engagement")
        sat = get("business/satisfaction")
        trend = get("nutrition/trends")
        intensity = get("fitness/intensity")
    energies = [d["energy_kcal"] for d in trend if d["energy_kcal"] is not None]
    mean_energy = round(sum(energies) / len(energies), 1) if energies else None
    return {
        "users": fmt_num(conv["users"]),
        "premium_share": fmt_pct(conv["premium_share"]),
        "conversion_rate": fmt_pct(conv["conversion_rate"]),
        "mau": fmt_num(eng["mau"]),
        "nps": fmt_num(sat["nps"], "fr", 1),
        "mean_energy": fmt_num(mean_energy),
        "workouts": fmt_num(sum(r["sessions"] for r in intensity)),
    }


def shown(page: Any) -> dict[str, str]:
    values = page.evaluate(
        """() => {
      const out = {};
      const walk = (root) => {
        for (const li of root.querySelectorAll('.kpis li'))
          out[li.querySelector('.label').textContent] = li.querySelector('.value').textContent;
        for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot);
      };
      walk(document);
      return out;
    }"""
    )
    return {key: values.get(label) for key, label in LABELS.items()}


def test_overview_period_applies_to_every_figure(
    page,  # noqa: ANN001
    server: str,
    dated_facts: dict[str, str],
) -> None:
    everything = api_indicators(dated_facts, 0)
    week, quarter = api_indicators(dated_facts, 7), api_indicators(dated_facts, 90)
    # the periods really select different facts (MAU may not: it counts the 30 days up to
    # the latest session of the period, recent in each)
    for key in ("nps", "mean_energy", "workouts"):
        assert week[key] != quarter[key], key
    assert quarter["workouts"] != everything["workouts"]

    sign_in(page, server, "steward")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    assert shown(page) == everything

    # options: whole history, 7, 30, 90 days; chosen with the keyboard, then applied
    for presses, expected, name in ((1, week, "7"), (2, quarter, "90")):
        tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Période", reverse=True)
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
        tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Appliquer les filtres")
        page.keyboard.press("Enter")
        for _ in range(50):  # the page re-renders on the server: wait for its figures
            if shown(page) == expected:
                break
            page.wait_for_timeout(200)
        assert shown(page) == expected, name
        screenshot(page, f"vue-ensemble-periode-{name}")
    assert_axe_clean(page, "after the period filter was applied")
    assert page.console_errors == []
