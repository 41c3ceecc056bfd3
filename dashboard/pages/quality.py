"""Data quality, live: freshness and volume per source, volume per run, quarantine backlog,
failed checks, last runs and their errors. Refreshes itself (periodic callback) while open."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pandas as pd
import panel as pn

from dashboard.components import accessible_chart, html_table, section
from dashboard.i18n import fmt_num
from dashboard.pages.common import button, db
from dashboard.shell import Context
from healthai.queries import analytics, dashboard_support


def refresh_seconds() -> int:
    return max(1, int(os.environ.get("DASHBOARD_QUALITY_REFRESH_SECONDS", "30")))


def snapshot() -> dict:
    with db() as session:
        return {
            "fresh": dashboard_support.freshness(session),
            "runs": dashboard_support.recent_runs(session),
            "backlog": dashboard_support.quarantine_backlog(session),
            "checks": dashboard_support.failed_checks(session),
            "totals": analytics.quality(session),
        }


def build(ctx: Context) -> pn.viewable.Viewable:
    seconds = refresh_seconds()
    body = pn.Column(sizing_mode="stretch_width")
    stamp = pn.pane.HTML("", sizing_mode="stretch_width")
    state: dict = {"last": None}

    def render() -> None:
        snap = snapshot()
        t = ctx.t
        fresh = pd.DataFrame(snap["fresh"])
        parts = []
        if not fresh.empty:
            oldest = fresh.dropna(subset=["finished_at"]).sort_values("finished_at")
            parts.append(
                section(
                    t("freshness_title"),
                    t(
                        "freshness_summary",
                        n=len(fresh),
                        oldest=oldest.iloc[0]["finished_at"] if not oldest.empty else "—",
                    ),
                )
            )
            cols = ["source", "finished_at", "age_hours", "status", "rows_in"]
            cols += ["rows_published", "rows_quarantined", "rows_pending"]
            parts.append(
                html_table(
                    fresh[cols],
                    t("freshness_title"),
                    {c: t(c) for c in cols} | {"finished_at": t("last_run")},
                )
            )
        runs = pd.DataFrame(snap["runs"])
        if not runs.empty:
            vol = runs[["run_id", "source", "rows_in"]].iloc[::-1].copy()
            vol["run"] = vol["run_id"].astype(str) + " " + vol["source"]
            vol = vol[["run", "rows_in"]]
            parts.append(
                accessible_chart(
                    t("volume_title"),
                    t(
                        "volume_summary",
                        runs=len(vol),
                        rows=fmt_num(int(vol.rows_in.sum()), ctx.lang),
                    ),
                    vol,
                    "run",
                    "rows_in",
                    {"run": t("run"), "rows_in": t("rows_in")},
                    t("volume_title"),
                )
            )
        backlog = pd.DataFrame(snap["backlog"], columns=["source", "rule", "rows"])
        open_rows = sum(r["rows"] for r in snap["totals"]["quarantine"] if r["status"] == "open")
        parts.append(
            section(
                t("backlog_title"),
                t("backlog_summary", open=open_rows, sources=backlog.source.nunique()),
            )
        )
        parts.append(
            html_table(
                backlog,
                t("backlog_title"),
                {"source": t("source"), "rule": t("rule"), "rows": t("rows")},
                empty=t("none_open"),
            )
        )
        failed, total = snap["checks"]
        parts.append(
            section(t("checks_title"), t("checks_summary", failed=len(failed), total=total))
        )
        fc = pd.DataFrame(
            failed, columns=["batch_id", "source", "check", "description", "blocking", "observed"]
        )
        fc["blocking"] = fc["blocking"].map({True: t("yes"), False: t("no")})
        fc["observed"] = fc["observed"].astype(str)
        parts.append(
            html_table(
                fc,
                t("checks_title"),
                {
                    "batch_id": t("batch"),
                    "source": t("source"),
                    "check": t("check"),
                    "description": "Description",
                    "blocking": t("blocking"),
                    "observed": t("observed"),
                },
                empty=t("checks_summary", failed=0, total=total),
            )
        )
        if not runs.empty:
            cols = [
                "run_id",
                "source",
                "started_at",
                "status",
                "rows_in",
                "rows_quarantined",
                "error",
            ]
            parts.append(section(t("runs_title")))
            parts.append(
                html_table(
                    runs[cols],
                    t("runs_title"),
                    {c: t(c) for c in cols} | {"run_id": t("run"), "started_at": t("last_run")},
                )
            )
        parts.append(
            pn.pane.HTML(
                f'<p><a href="/profiles/">{t("profiles")}</a></p>', sizing_mode="stretch_width"
            )
        )
        body.objects = parts
        at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        stamp.object = f"<p>{t('quality_intro', s=seconds)} {t('refreshed', at=at)}</p>"
        key = (open_rows, len(runs), len(failed))
        if state["last"] is not None and key != state["last"]:
            ctx.say(t("refreshed", at=at))
        state["last"] = key

    render()
    updates = pn.state.add_periodic_callback(render, period=seconds * 1000)
    # WCAG 2.2.2 / RGAA 13.1: content that updates itself can be paused.
    toggle = button(ctx.t("pause_refresh"), "default")

    def pause_or_resume(_event: object) -> None:
        if updates.running:
            updates.stop()
            toggle.name = ctx.t("resume_refresh")
            ctx.say(ctx.t("refresh_paused"))
        else:
            updates.start()
            toggle.name = ctx.t("pause_refresh")
            ctx.say(ctx.t("refresh_resumed"))

    toggle.on_click(pause_or_resume)
    return pn.Column(stamp, toggle, body, sizing_mode="stretch_width")
