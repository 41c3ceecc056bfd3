"""The overview's population and "needs attention" panel (dashboard.attention) and its
comparison with the previous period, on both engines: a published batch's people counted per
source, a batch waiting for a decision, a failed file and a failing blocking check listed with
a link to where to act."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from healthai.models import Batch, BatchCheck, RawFile, Source
from tests.pipeline_helpers import materialize_sources, session_for


def _context(user_role: str = "steward"):  # noqa: ANN202
    from dashboard.components import Announcer
    from dashboard.shell import Context
    from healthai.access import Principal

    return Context(
        lang="fr",
        user=Principal(1, "x", user_role, None),
        announcer=Announcer(),
        slug="vue-ensemble",
    )


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_population_and_attention(platform: str, engine: str) -> None:
    from dashboard import attention
    from dashboard.pages.overview import attention_html, population_html
    from healthai.pipeline import batches

    url = platform
    assert materialize_sources(url, "gym_members", "free_exercise_db").success
    with session_for(url) as session:
        gym = session.scalar(select(Batch.id).join(Source).where(Source.name == "gym_members"))
        batches.approve(session, gym, "steward@pipeline")
        batches.publish(session, gym, "steward@pipeline")
    with session_for(url) as session:
        people = attention.population(session, None)
        assert people and people[0]["source"] == "gym_members" and people[0]["users"] > 0
        todo = attention.needs_attention(session)
        assert [b["source"] for b in todo["batches"]] == ["free_exercise_db"]
        assert todo["failed_files"] == []
        waiting = todo["batches"][0]["batch_id"]
        source_id = session.scalar(select(Source.id).where(Source.name == "free_exercise_db"))
        session.add(
            RawFile(
                source_id=source_id,
                sha256="f" * 64,
                original_name="exercises-broken.json",
                stored_path="raw_store/x",
                size_bytes=10,
                state="failed",
                state_at=datetime(2026, 1, 2, 3, 5, tzinfo=UTC),
                error="unreadable",
            )
        )
        session.add(
            BatchCheck(
                batch_id=waiting,
                name="row_count_positive",
                description="x",
                passed=False,
                blocking=True,
                observed={},
            )
        )
    with session_for(url) as session:
        todo = attention.needs_attention(session)
        assert len(todo["failed_files"]) == 1
        assert todo["failed_files"][0]["at"] == "2026-01-02 03:05 UTC"
        assert todo["failed_files"][0]["file"] == "exercises-broken.json"
        assert [c["batch_id"] for c in todo["failing_checks"]] == [waiting]
    ctx = _context()
    panel = attention_html(ctx, todo)
    assert panel.startswith("<h2>À traiter</h2>")
    assert f"Lot {waiting}" in panel and "Fichier en échec" in panel
    assert 'href="/validation' in panel
    # a failed file's line leads to the review page's files to retry, for its source
    assert 'href="/validation?source=free_exercise_db">Fichier en échec' in panel
    from dashboard.pages import overview

    overview.build(ctx)  # the whole page renders on this database
    sentence = population_html(ctx, people)
    assert "Ces indicateurs comptent" in sentence and "gym_members" not in sentence.split("«")[0]


def test_previous_period_and_change_in_words() -> None:
    from dashboard.pages.overview import change_text, previous_period

    assert previous_period(7, date(2026, 3, 15)) == (date(2026, 3, 1), date(2026, 3, 7))
    ctx = _context()
    assert change_text(ctx, "percent", 110, 100) == (
        "en hausse de 10,0 % par rapport à la période précédente"
    )
    assert change_text(ctx, "percent", 90, 100).startswith("en baisse de 10,0 %")
    assert (
        change_text(ctx, "points", 0.25, 0.2) == "+5,0 point(s) par rapport à la période précédente"
    )
    assert change_text(ctx, "points", 40.0, 45.5).startswith("−5,5 point(s)")
    assert change_text(ctx, "percent", None, 3) == "pas de comparaison possible"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_every_figure_narrowed_to_a_cohort(platform: str, engine: str) -> None:
    """A cohort (the source people were published from) narrows each figure, rollups
    included: the only cohort published gives everyone's figures, another gives none."""
    from dashboard.pages.overview import indicators
    from healthai.pipeline import batches
    from healthai.queries import cohorts

    url = platform
    assert materialize_sources(url, "gym_members").success
    with session_for(url) as session:
        gym = session.scalar(select(Batch.id).join(Source).where(Source.name == "gym_members"))
        batches.approve(session, gym, "steward@pipeline")
        batches.publish(session, gym, "steward@pipeline")
    everyone = indicators(None, 0)
    assert everyone["users"] > 0 and everyone["workouts"] > 0
    with cohorts.within("gym_members"):
        assert indicators(None, 0) == everyone
    with cohorts.within("app_sessions_simulated"):
        none = indicators(None, 0)
    assert (none["users"], none["workouts"], none["mau"]) == (0, 0, 0)
    assert cohorts.current() is None  # the API's answers stay unnarrowed
