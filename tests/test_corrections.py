"""Correcting quarantined rows: revalidated on the spot, re-queued through audit and approval,
every change in the audit log, and four eyes between who corrects and who approves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from healthai.models import AuditLog, Batch, IngestionRun, QuarantinedRow
from healthai.pipeline import batches, quarantine
from healthai.pipeline.errors import FourEyesError
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, materialize_sources, session_for


def open_rows(db_url: str) -> list[QuarantinedRow]:
    with session_for(db_url) as session:
        return list(session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")))


@pytest.mark.parametrize("engine", ENGINES)
def test_corrected_row_is_requeued_and_four_eyes_apply(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members").success
    rows = open_rows(platform)
    assert rows, "the gym file has rows whose average heart rate is above the maximum"
    row = rows[0]
    max_bpm = float(row.raw["Max_BPM"])

    with session_for(platform) as session:
        still_bad = quarantine.correct(session, row.id, {"Avg_BPM": str(max_bpm + 5)}, "ana")
    assert not still_bad.valid
    assert still_bad.reasons[row.id][0]["rule"] == "avg_bpm_not_above_max_bpm"
    with session_for(platform) as session:  # a refused correction changes nothing
        refused = session.get(QuarantinedRow, row.id)
        assert (refused.status, refused.raw, refused.reasons) == ("open", row.raw, row.reasons)

    with session_for(platform) as session:
        fixed = quarantine.correct(
            session, row.id, {"Avg_BPM": str(max_bpm - 10)}, "ana", "typo in export"
        )
    assert fixed.valid and fixed.requeued_batch_id is not None
    with session_for(platform) as session:
        batch = session.get(Batch, fixed.requeued_batch_id)
        assert batch.status == "audited" and batch.rows_staged == 1
        history = list(
            session.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "quarantined_rows", AuditLog.entity_id == row.id)
                .order_by(AuditLog.id)
            )
        )
        # the refused value never enters the correction history (issue #15, finding 8)
        good = str(max_bpm - 10)
        assert [(h.actor, h.field, h.before, h.after) for h in history] == [
            ("ana", "Avg_BPM", row.raw["Avg_BPM"], good),
        ]
        with pytest.raises(FourEyesError):
            batches.approve(session, batch.id, "ana")

    users_before = count(platform, "users")
    with session_for(platform) as session:
        batches.approve(session, fixed.requeued_batch_id, "bruno")
        batches.publish(session, fixed.requeued_batch_id, "bruno")
    assert count(platform, "users") == users_before + 1
    with session_for(platform) as session:
        run = session.scalar(select(IngestionRun))
        assert run.rows_in == (
            run.rows_published + run.rows_quarantined + run.rows_duplicate + run.rows_pending
        )
        assert run.rows_published == 1


@pytest.mark.parametrize("engine", ["sqlite"])
def test_one_correction_applies_to_every_row_with_the_same_defect(
    engine: str, platform: str
) -> None:
    assert materialize_sources(platform, "gym_members").success
    rows = open_rows(platform)
    with session_for(platform) as session:
        result = quarantine.correct_rows(
            session, [r.id for r in rows], {"Avg_BPM": "120"}, "ana", "bulk fix"
        )
    assert result.valid
    with session_for(platform) as session:
        assert session.get(Batch, result.requeued_batch_id).rows_staged == len(rows)
    assert open_rows(platform) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_source_of_facts_is_corrected_and_published(engine: str, platform: str) -> None:
    """A meal of the v1 log (a source of facts: no natural key of its own) quarantined for more
    sugars than carbohydrates: corrected, it is re-queued without its already published user,
    audited, approved by someone else and published; the run's counts still add up."""
    from healthai.models import MealLog, User

    assert materialize_sources(platform, "daily_food_nutrition_v1_log").success
    with session_for(platform) as session:
        first = session.scalar(select(Batch.id))
        batches.approve(session, first, "bruno")
        batches.publish(session, first, "bruno")
    with session_for(platform) as session:
        published = set(session.scalars(select(User.external_key)))
    row = next(
        r for r in sorted(open_rows(platform), key=lambda r: r.id)
        if [x["rule"] for x in r.reasons] == ["sugars_not_above_carbohydrates"]
        and f"daily_food_log:{r.raw['User_ID']}" in published
    )  # fmt: skip
    users, meals = count(platform, "users"), count(platform, "meal_logs")
    with session_for(platform) as session:
        fixed = quarantine.correct(
            session, row.id, {"Sugars (g)": row.raw["Carbohydrates (g)"]}, "ana", "swapped"
        )
    assert fixed.valid and fixed.requeued_batch_id is not None
    with session_for(platform) as session:
        batch = session.get(Batch, fixed.requeued_batch_id)
        assert batch.status == "audited", [c.observed for c in batch.checks]
        assert batch.rows_by_table == {"meal_logs": 1}  # its user is already published
        batches.approve(session, batch.id, "bruno")
        batches.publish(session, batch.id, "bruno")
    assert (count(platform, "users"), count(platform, "meal_logs")) == (users, meals + 1)
    with session_for(platform) as session:
        meal = session.scalar(select(MealLog).where(MealLog.batch_id == fixed.requeued_batch_id))
        assert meal.sugars_g == pytest.approx(float(row.raw["Carbohydrates (g)"]))
        assert meal.source_record == row.source_record
        run = session.get(IngestionRun, row.run_id)
        assert run.rows_in == (
            run.rows_published + run.rows_quarantined + run.rows_duplicate + run.rows_pending
        )
