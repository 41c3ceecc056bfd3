"""Alerts: the quality asset's checks fail, a JSON log line is written and the webhook (a local
HTTP server) receives the alert; a webhook that is down never fails the run."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from assets.resources import AlertWebhook
from healthai.models import RawFile
from healthai.settings import get_settings
from tests.conftest import ENGINES
from tests.pipeline_helpers import session_for
from tests.quality.helpers import check_results, closed_port_url, materialize_with_quality, webhook


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.mark.parametrize("engine", ENGINES)
def test_score_below_threshold_fails_the_check_logs_and_calls_the_webhook(
    engine: str,
    platform: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with webhook() as (url, received):
        # gym_members scores about 99 (23 of 973 rows quarantined): a threshold of 99.9 fails
        _settings(monkeypatch, QUALITY_THRESHOLDS="gym_members=99.9")
        with caplog.at_level(logging.WARNING, logger="healthai.quality"):
            # the webhook is the `alerts` resource the assets are given
            hook = {"alerts": AlertWebhook(url=url)}
            result = materialize_with_quality(platform, "gym_members", resources=hook)
    assert result.success
    checks = check_results(result)
    assert not checks["score_above_threshold"].passed
    assert checks["freshness"].passed and checks["volume"].passed

    assert len(received) == 1
    body = received[0]
    assert body["source"] == "gym_members" and body["threshold"] == 99.9
    assert [a["kind"] for a in body["alerts"]] == ["score_below_threshold"]
    assert body["score"] < 99.9 and "quality score" in body["text"]

    lines = [
        r.msg  # structlog's event (rendered as one JSON line: tests/test_logging.py)
        for r in caplog.records
        if r.name == "healthai.quality" and r.levelno == logging.WARNING
    ]
    assert [(x["event"], x["kind"], x["source"]) for x in lines] == [
        ("quality_alert", "score_below_threshold", "gym_members")
    ]
    mat = result.asset_materializations_for_node("gym_members_quality")[0]
    assert mat.metadata["webhook_notified"].value is True


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stale_source_fails_freshness_and_a_dead_webhook_does_not_fail_the_run(
    engine: str,
    platform: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = {"alerts": AlertWebhook(url=closed_port_url(), timeout_s=2)}
    assert materialize_with_quality(platform, "gym_members", resources=dead).success
    with session_for(platform) as session:
        session.execute(update(RawFile).values(created_at=datetime.now(UTC) - timedelta(days=10)))
    with caplog.at_level(logging.WARNING, logger="healthai.quality"):
        # nothing new arrives
        result = materialize_with_quality(platform, "gym_members", resources=dead)
    assert result.success  # the webhook is down: logged, never fatal
    checks = check_results(result)
    assert not checks["freshness"].passed
    assert "more than the 210 h allowed" in checks["freshness"].description
    events = [r.msg for r in caplog.records if r.name == "healthai.quality"]
    assert {"quality_alert", "alert_webhook_failed"} <= {e["event"] for e in events}
    mat = result.asset_materializations_for_node("gym_members_quality")[0]
    assert mat.metadata["webhook_notified"].value is False


def test_a_failing_or_malformed_webhook_is_logged_never_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from healthai.models import QualitySnapshot
    from healthai.quality import dispatch

    snapshot = QualitySnapshot(
        id=1,
        measured_at=datetime.now(UTC),
        score=50.0,
        threshold=80.0,
        stale=False,
        alerts=[{"kind": "score_below_threshold", "message": "x: quality score 50.0 below 80.0"}],
    )
    with webhook(status=500) as (url, received):
        _settings(monkeypatch, ALERT_WEBHOOK_URL=url)
        assert dispatch("x", snapshot) is False  # answered 500
        assert len(received) == 1
    _settings(monkeypatch, ALERT_WEBHOOK_URL="not a url")
    with caplog.at_level(logging.WARNING, logger="healthai.quality"):
        assert dispatch("x", snapshot) is False
    assert "alert_webhook_failed" in caplog.text
    _settings(monkeypatch, ALERT_WEBHOOK_URL="")
    assert dispatch("x", snapshot) is False  # no URL: logged only
    snapshot.alerts = []
    assert dispatch("x", snapshot) is False
