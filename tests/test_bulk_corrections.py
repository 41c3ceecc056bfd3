"""Correcting quarantine at scale (healthai.pipeline.corrections), on both engines: the open
rows filtered by source, defect and file and read a page at a time; a bulk fix previewed
without writing anything, then applied through the same path as a single correction (re-queued
in an audited batch per file, each change in the audit log, refused rows untouched and absent
from the history); a malformed CSV line corrected by its text."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from healthai.models import AuditLog, Batch, IngestionRun, QuarantinedRow, Source
from healthai.pipeline import corrections as c
from healthai.pipeline.errors import BatchStateError, ContractError
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for

GYM = c.Selection(source="gym_members", rule="avg_bpm_not_above_max_bpm")


def _open(session, source: str) -> list[QuarantinedRow]:  # noqa: ANN001
    return list(
        session.scalars(
            select(QuarantinedRow)
            .join(Source)
            .where(Source.name == source, QuarantinedRow.status == "open")
            .order_by(QuarantinedRow.id)
        )
    )


def _history(session) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(AuditLog)) or 0


@pytest.mark.parametrize("engine", ENGINES)
def test_filter_page_preview_apply(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members", "daily_food_nutrition").success
    with session_for(platform) as session:
        gym, food = _open(session, "gym_members"), _open(session, "daily_food_nutrition")
        assert (len(gym), len(food)) == (23, 6)  # docs/sources.md
        # filters and pages
        rows, total = c.list_rows(session, c.Selection(source="gym_members"), limit=10, offset=20)
        assert total == 23 and [r["row_id"] for r in rows] == [r.id for r in gym[20:]]
        rows, total = c.list_rows(session, c.Selection(rule="malformed_line"), limit=50)
        assert total == 6 and {r["source"] for r in rows} == {"daily_food_nutrition"}
        assert all(r["malformed"] and r["file"] for r in rows)
        assert c.count(session, c.Selection(rule="malformed_line", source="gym_members")) == 0
        assert c.count(session, c.Selection(column="Avg_BPM, Max_BPM")) == 23
        run_id = gym[0].run_id
        assert c.count(session, c.Selection(source="gym_members", run_id=run_id)) == 23
        assert c.count(session, c.Selection(source="gym_members", run_id=run_id + 999)) == 0
        f = c.facets(session, c.Selection(source="gym_members"))
        assert f["sources"] == [
            {"source": "daily_food_nutrition", "rows": 6},
            {"source": "gym_members", "rows": 23},
        ]
        assert f["defects"] == [
            {"rule": "avg_bpm_not_above_max_bpm", "column": "Avg_BPM, Max_BPM", "rows": 23}
        ]
        assert [x["rows"] for x in f["files"]] == [23]

        # preview: every selected row, nothing written
        before = _history(session)
        fix = c.BulkFix(column="Avg_BPM", mode="set", value="100")
        p = c.preview(session, GYM, fix, sample=5)
        assert (p.selected, p.touched, p.would_pass, p.would_fail) == (23, 23, 23, 0)
        assert [r["row_id"] for r in p.rows] == [r.id for r in gym[:5]]
        assert p.rows[0]["before"] == gym[0].raw["Avg_BPM"] and p.rows[0]["after"] == "100"
        assert _history(session) == before and len(_open(session, "gym_members")) == 23

        # a value mapping: one value to one that passes, another to one that does not
        good = gym[0]
        bad = next(r for r in gym if r.raw["Avg_BPM"] != good.raw["Avg_BPM"])
        mapping = {
            str(good.raw["Avg_BPM"]): str(float(good.raw["Max_BPM"]) - 10),
            str(bad.raw["Avg_BPM"]): str(float(bad.raw["Max_BPM"]) + 10),
        }
        assert len(mapping) == 2, "two rows with the same average: pick others"
        fix = c.BulkFix(column="Avg_BPM", mode="map", mapping=mapping)
        p = c.preview(session, GYM, fix)
        touched = {r["row_id"] for r in p.rows}
        assert {good.id, bad.id} <= touched and p.would_fail >= 1
        with pytest.raises(BatchStateError):  # the person saw another number of rows
            c.apply(session, GYM, fix, "ana", "mapping", expected=p.touched + 1)
        assert _history(session) == before
        result = c.apply(session, GYM, fix, "ana", "mapping", expected=p.touched)
        assert good.id in result.accepted and bad.id in result.reasons
        assert len(result.requeued_batch_ids) == 1
        batch = session.get(Batch, result.requeued_batch_ids[0])
        assert batch.status == "audited" and batch.rows_staged == len(result.accepted)
        logged = session.execute(
            select(AuditLog.entity_id, AuditLog.before, AuditLog.after).where(
                AuditLog.entity == "quarantined_rows"
            )
        ).all()
        assert (good.id, str(good.raw["Avg_BPM"]), mapping[str(good.raw["Avg_BPM"])]) in logged
        assert bad.id not in {e for e, _, _ in logged}  # refused: not in the history
        session.refresh(bad)
        assert bad.status == "open" and bad.raw["Avg_BPM"] != mapping[str(bad.raw["Avg_BPM"])]
        run = session.get(IngestionRun, good.run_id)
        assert run.rows_in == (
            run.rows_published + run.rows_quarantined + run.rows_duplicate + run.rows_pending
        )
        with pytest.raises(ContractError):  # a bulk fix is for one source
            c.preview(session, c.Selection(rule="malformed_line"), fix)


@pytest.mark.parametrize("engine", ENGINES)
def test_malformed_line_is_corrected_by_its_text(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "daily_food_nutrition").success
    with session_for(platform) as session:
        row = next(r for r in _open(session, "daily_food_nutrition") if c.is_line(r))
        line = c.line_text(session, row.id)
        with pytest.raises(c.LineShapeError):  # as read: more fields than the header
            c.parse_line(session, row.id, line)
        name, rest = line.split(")", 1)  # the name holds the delimiter: quote it
        fixed = f'"{name})"{rest}'
        values = c.parse_line(session, row.id, fixed)
        assert values["Food_Item"] == f"{name[:]})".strip('"')
        result = c.correct_line(session, row.id, fixed, "ana", "nom entre guillemets")
        assert result.valid and result.requeued_batch_id is not None
        session.refresh(row)
        assert row.status == "requeued"
        fields = session.scalars(
            select(AuditLog.field).where(AuditLog.entity_id == row.id, AuditLog.actor == "ana")
        ).all()
        assert "Food_Item" in fields
