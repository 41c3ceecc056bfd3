"""Quality metrics on the real shipped files, on both engines, stored with their history; a
source made stale or emptied shows it."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from healthai import quality
from healthai.models import QualityMetric, RawFile, Source
from healthai.sources import SOURCES
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, landing, materialize_sources, session_for
from tests.test_slice import GYM, approve_all, exercise_expectations, gym_expectations


def _by_rule(evaluation: quality.Evaluation) -> dict[tuple, quality.metrics.Measure]:
    return {(m.dimension, m.table, m.column, m.rule): m for m in evaluation.measures}


@pytest.mark.parametrize("engine", ENGINES)
def test_metrics_on_the_shipped_files(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members", "free_exercise_db").success
    approve_all(platform)
    gym, ex = gym_expectations(), exercise_expectations()
    published = gym["rows"] - gym["quarantined"] - gym["duplicates"]
    with session_for(platform) as session:
        g = quality.evaluate(session, SOURCES["gym_members"])
        e = quality.evaluate(session, SOURCES["free_exercise_db"])
        gm, em = _by_rule(g), _by_rule(e)

        # validity: rows passing every rule in the latest delivery
        assert g.snapshot.validity == pytest.approx(1 - gym["quarantined"] / gym["rows"], abs=1e-6)
        assert e.snapshot.validity == 1.0
        # completeness of every required column of the raw file, counted with csv here
        with GYM.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        for column in rows[0]:
            filled = sum(1 for r in rows if r[column].strip())
            assert gm[("completeness", "raw", column, "non_null")].value == filled / len(rows)
        # uniqueness of the raw rows
        raw_unique = gm[("uniqueness", "raw", None, "no_duplicate_row")]
        assert raw_unique.value == 1 - gym["duplicates"] / gym["rows"]
        # consistency on the published tables, over every published session / user
        bmi = gm[("consistency", "biometric_readings", None, "bmi_matches_weight_and_height")]
        assert (bmi.value, bmi.denominator) == (1.0, published)
        hr = gm[("consistency", "workout_sessions", None, "avg_hr_not_above_max_hr")]
        assert (hr.value, hr.denominator) == (1.0, published)
        fk = gm[("consistency", "workout_sessions", "user_key", "foreign_key_exists")]
        assert (fk.value, fk.denominator) == (1.0, published)
        links = em[("consistency", "exercise_muscles", "exercise_key", "foreign_key_exists")]
        assert (links.value, links.denominator) == (1.0, ex["links"])
        assert em[("uniqueness", "exercises", "code", "unique_key")].value == 1.0
        # freshly received, volume of a first delivery, quarantine backlog
        assert not g.snapshot.stale and g.snapshot.freshness == 1.0
        assert g.snapshot.volume == 1.0 and not g.snapshot.volume_anomaly
        assert g.snapshot.quarantine_open == gym["quarantined"]
        assert g.snapshot.backlog == pytest.approx(1 - gym["quarantined"] / gym["rows"], abs=1e-6)
        assert g.snapshot.score == pytest.approx(
            quality.overall_score({d: getattr(g.snapshot, d) for d in quality.WEIGHTS}), abs=0.01
        )
        assert g.snapshot.score >= 95 and e.snapshot.score == 100
        assert not g.alerts and not e.alerts

    with session_for(platform) as session:
        latest = {s["source"]: s for s in quality.latest(session)}
        assert latest["gym_members"]["score"] == g.snapshot.score
        detail = quality.latest_for(session, "free_exercise_db")
        assert detail["metrics"] and all("dimension" in m for m in detail["metrics"])
        stored = session.scalar(
            select(QualityMetric).where(
                QualityMetric.snapshot_id == g.snapshot.id, QualityMetric.dimension == "validity"
            )
        )
        assert stored.numerator == gym["rows"] - gym["quarantined"]
    assert count(platform, "quality_snapshots") == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stale_then_emptied_source_shows_it(engine: str, platform: str, tmp_path) -> None:
    spec = SOURCES["gym_members"]
    assert materialize_sources(platform, "gym_members").success
    with session_for(platform) as session:
        first = quality.evaluate(session, spec).snapshot
        assert not first.stale

    # stale: the newest file arrived 30 days ago, the source is weekly
    with session_for(platform) as session:
        source_id = session.scalar(select(Source.id).where(Source.name == "gym_members"))
        session.execute(
            update(RawFile)
            .where(RawFile.source_id == source_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=30))
        )
    with session_for(platform) as session:
        stale = quality.evaluate(session, spec).snapshot
        assert stale.stale and stale.freshness == 0.0
        assert stale.age_hours == pytest.approx(30 * 24, abs=0.1)
        assert "stale" in {a["kind"] for a in stale.alerts}
        assert stale.score < first.score

    # emptied: the next delivery holds a header and no row
    header = GYM.read_text().splitlines()[0]
    (landing(tmp_path, "gym_members") / "empty.csv").write_text(header + "\n")
    assert materialize_sources(platform, "gym_members").success
    with session_for(platform) as session:
        empty = quality.evaluate(session, spec).snapshot
        assert empty.rows_in == 0 and empty.volume_anomaly and empty.volume == 0.0
        assert empty.rows_expected == gym_expectations()["rows"]
        assert not empty.stale  # a file did arrive

    with session_for(platform) as session:
        history = quality.history(session, "gym_members")
        assert [h["id"] for h in history] == [first.id, stale.id, empty.id]
        assert [h["stale"] for h in history] == [False, True, False]
        volume = quality.metric_history(session, "gym_members", "volume")
        assert [v["numerator"] for v in volume] == [gym_expectations()["rows"]] * 2 + [0]
        # validity per run: the first delivery (measured again while nothing new came), then
        # the empty one, which has no row to judge
        validity = quality.metric_history(session, "gym_members", "validity")
        assert [(v["denominator"], v["detail"]["run_id"] is not None) for v in validity] == [
            (gym_expectations()["rows"], True),
            (gym_expectations()["rows"], True),
            (0, True),
        ]
        assert validity[-1]["value"] is None
