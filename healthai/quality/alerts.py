"""Alerts: one JSON log line (logger `healthai.quality`) and, when ALERT_WEBHOOK_URL is set,
one JSON POST per evaluation that raised alerts. A webhook that is down, slow or refusing is
logged and never fails the run."""

from __future__ import annotations

from typing import Any

import httpx

from healthai.logging import get_logger
from healthai.models import QualitySnapshot
from healthai.settings import Settings, get_settings

log = get_logger("healthai.quality")


def payload(source: str, snapshot: QualitySnapshot) -> dict[str, Any]:
    alerts = snapshot.alerts or []
    return {
        "event": "quality_alert",
        "source": source,
        "snapshot_id": snapshot.id,
        "measured_at": snapshot.measured_at.isoformat() if snapshot.measured_at else None,
        "score": snapshot.score,
        "threshold": snapshot.threshold,
        "stale": snapshot.stale,
        "age_hours": snapshot.age_hours,
        "max_age_hours": snapshot.max_age_hours,
        "alerts": alerts,
        # chat tools (Slack, Mattermost, Teams incoming webhooks) display `text`
        "text": "HealthAI quality alert: " + "; ".join(a["message"] for a in alerts),
    }


def post_webhook(url: str, body: dict[str, Any], timeout: float) -> bool:
    """POST `body`; True when the receiver answered 2xx. Never raises."""
    try:
        response = httpx.post(url, json=body, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a bad URL, DNS, refusal, timeout: never fatal
        log.error("alert_webhook_failed", source=body.get("source"), error=str(exc))
        return False
    if response.is_success:
        return True
    log.error("alert_webhook_failed", source=body.get("source"), status_code=response.status_code)
    return False


def dispatch(source: str, snapshot: QualitySnapshot, settings: Settings | None = None) -> bool:
    """Log every alert of `snapshot` and notify the webhook; returns whether the webhook was
    notified (False when there is nothing to say, no URL, or the call failed)."""
    settings = settings or get_settings()
    if not snapshot.alerts:
        return False
    body = payload(source, snapshot)
    for alert in snapshot.alerts:
        # the alert's own fields (kind, message, score...) win, as in its stored form
        base = {"source": source, "snapshot_id": snapshot.id, "score": snapshot.score}
        log.warning("quality_alert", **{**base, "threshold": snapshot.threshold, **alert})
    if not settings.alert_webhook_url:
        return False
    return post_webhook(settings.alert_webhook_url, body, settings.alert_webhook_timeout_s)
