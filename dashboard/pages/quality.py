"""Data quality, live. First a scorecard per source (score out of 100, its seven dimensions,
its trend since the previous measure, its status in words and colour, and where to act), then
the detail: freshness and volume per source, volume per run, quarantine backlog, failed checks,
last runs and their errors, and the profiling reports.

The page refreshes itself (periodic callback) while open, and only what changed is redrawn:
the sections are stable panes whose content is replaced only when it differs, so the keyboard
focus is never lost to a refresh (WCAG 2.4.3); a button pauses and resumes the updates
(WCAG 2.2.2), and keeps the focus when its label changes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from html import escape
from typing import Any

import pandas as pd
import panel as pn

from dashboard.components import accessible_chart
from dashboard.components.actions import ActionBar, action
from dashboard.components.base import CONTENT_CSS, table_or_notice
from dashboard.i18n import fmt_num, fmt_pct
from dashboard.pages.common import db
from dashboard.shell import Context
from dashboard.wording import check_name, check_observed, rule_label, source_name, status
from healthai.models.quality import QUALITY_DIMENSIONS
from healthai.queries import analytics, dashboard_support

PROFILES_PATH = "/rapports-profilage"


def refresh_seconds() -> int:
    return max(1, int(os.environ.get("DASHBOARD_QUALITY_REFRESH_SECONDS", "30")))


def snapshot() -> dict:
    with db() as session:
        return {
            "cards": dashboard_support.scorecard(session),
            "fresh": dashboard_support.freshness(session),
            "runs": dashboard_support.recent_runs(session),
            "backlog": dashboard_support.quarantine_backlog(session),
            "checks": dashboard_support.failed_checks(session),
            "totals": analytics.quality(session),
        }


def card_state(card: dict[str, Any]) -> str:
    """good / watch / bad: below its threshold or stale is bad; a score lower than before, an
    open backlog or a waiting batch is worth watching."""
    if card["score"] is None:
        return "unmeasured"
    if card["below_threshold"] or card["stale"]:
        return "bad"
    if (card["trend"] or 0) < -0.05 or card["failed_runs"]:
        return "watch"
    return "good"


def trend_text(ctx: Context, trend: float | None) -> str:
    if trend is None:
        return ctx.t("trend_first")
    if abs(trend) < 0.05:
        return ctx.t("trend_same")
    key = "trend_up" if trend > 0 else "trend_down"
    return ctx.t(key, delta=fmt_num(abs(trend), ctx.lang, 1))


def todo_links(ctx: Context, card: dict[str, Any]) -> list[tuple[str, str]]:
    """Where to act on a source: its waiting batches, its open quarantine, its failed runs."""
    lang_q = "&lang=en" if ctx.lang == "en" else ""
    links = []
    if card["batches_waiting"]:
        links.append(
            (
                f"/validation?source={card['source']}{lang_q}",
                ctx.t("todo_review", n=card["batches_waiting"]),
            )
        )
    if card["quarantine_open"]:
        links.append(
            (
                f"/corrections?source={card['source']}{lang_q}",
                ctx.t("todo_correct", n=fmt_num(card["quarantine_open"], ctx.lang)),
            )
        )
    if card["failed_runs"]:
        links.append((f"/qualite{'?lang=en' if lang_q else ''}", ctx.t("todo_runs")))
    return links


def scorecards_html(ctx: Context, cards: list[dict[str, Any]]) -> str:
    t, lang = ctx.t, ctx.lang
    measured = [c for c in cards if c["score"] is not None]
    bad = sum(1 for c in cards if card_state(c) == "bad")
    head = (
        f"<h2>{escape(t('scorecard_title'))}</h2>"
        f"<p>{escape(t('scorecard_summary', n=len(measured), bad=bad))}</p>"
    )
    if not cards:
        return head + f'<p class="notice">{escape(t("scorecard_none"))}</p>'
    items = []
    for c in cards:
        state = card_state(c)
        dims = "".join(
            f"<li>{escape(t(f'dim.{d}'))} : <strong>{escape(fmt_pct(c[d], lang))}</strong></li>"
            if lang == "fr"
            else f"<li>{escape(t(f'dim.{d}'))}: <strong>{escape(fmt_pct(c[d], lang))}</strong></li>"
            for d in QUALITY_DIMENSIONS
            if c.get(d) is not None
        )
        score = "—" if c["score"] is None else fmt_num(c["score"], lang, 1)
        dims_label = t("dims_of", source=source_name(c["source"], lang))
        links = todo_links(ctx, c)
        todo = (
            "<ul class='todo'>"
            + "".join(f'<li><a href="{escape(h)}">{escape(x)}</a></li>' for h, x in links)
            + "</ul>"
            if links
            else f"<p>{escape(t('todo_none'))}</p>"
        )
        items.append(
            f'<li class="card {state}"><h3>{escape(source_name(c["source"], lang))}</h3>'
            f'<p class="score"><span class="big">{escape(score)}</span> / 100 '
            f'<span class="state">{escape(t(f"state.{state}"))}</span></p>'
            f"<p>{escape(t('threshold_is', threshold=fmt_num(c['threshold'], lang)))} "
            f"{escape(trend_text(ctx, c['trend']))}</p>"
            f"<ul class='dims' aria-label=\"{escape(dims_label)}\">"
            f"{dims}</ul>{todo}</li>"
        )
    return head + f"<ul class='cards'>{''.join(items)}</ul>"


def scores_table(ctx: Context, cards: list[dict[str, Any]]) -> str:
    t, lang = ctx.t, ctx.lang
    frame = pd.DataFrame(
        [
            {
                "source": source_name(c["source"], lang),
                "score": "—" if c["score"] is None else fmt_num(c["score"], lang, 1),
                "state": t(f"state.{card_state(c)}"),
                **{d: fmt_pct(c.get(d), lang) for d in QUALITY_DIMENSIONS},
            }
            for c in cards
        ],
        columns=["source", "score", "state", *QUALITY_DIMENSIONS],
    )
    labels = {"source": t("source"), "score": t("score"), "state": t("status")}
    labels |= {d: t(f"dim.{d}") for d in QUALITY_DIMENSIONS}
    return table_or_notice(frame, t("scores_table"), labels, t("scorecard_none"))


class Sections:
    """Stable panes, each redrawn only when its content changed."""

    def __init__(self) -> None:
        self.panes: dict[str, Any] = {}

    def pane(self, key: str) -> pn.pane.HTML:
        if key not in self.panes:
            self.panes[key] = pn.pane.HTML(
                "", stylesheets=[CONTENT_CSS], sizing_mode="stretch_width"
            )
        return self.panes[key]

    def set(self, key: str, html: str) -> bool:
        pane = self.pane(key)
        if pane.object == html:
            return False
        pane.object = html
        return True


def build(ctx: Context) -> pn.viewable.Viewable:
    seconds = refresh_seconds()
    t, lang = ctx.t, ctx.lang
    panes = Sections()
    stamp = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CONTENT_CSS])
    state: dict = {"last": None, "chart": None}
    volume = pn.Column(sizing_mode="stretch_width")

    def render() -> None:
        snap = snapshot()
        cards = snap["cards"]
        panes.set("cards", scorecards_html(ctx, cards))
        panes.set("scores", scores_table(ctx, cards))
        fresh = pd.DataFrame(snap["fresh"])
        if not fresh.empty:
            oldest = fresh.dropna(subset=["finished_at"]).sort_values("finished_at")
            fresh["source"] = fresh["source"].map(lambda s: source_name(s, lang))
            fresh["status"] = fresh["status"].map(lambda s: status("run", s, lang))
            cols = ["source", "finished_at", "age_hours", "status", "rows_in"]
            cols += ["rows_published", "rows_quarantined", "rows_pending"]
            panes.set(
                "fresh",
                f"<h2>{escape(t('freshness_title'))}</h2><p>"
                + escape(
                    t(
                        "freshness_summary",
                        n=len(fresh),
                        oldest=oldest.iloc[0]["finished_at"] if not oldest.empty else "—",
                    )
                )
                + "</p>"
                + table_or_notice(
                    fresh[cols],
                    t("freshness_title"),
                    {c: t(c) for c in cols} | {"finished_at": t("last_run")},
                ),
            )
        runs = pd.DataFrame(snap["runs"])
        if not runs.empty:
            vol = runs[["run_id", "source", "rows_in"]].iloc[::-1].copy()
            vol["run"] = vol["run_id"].map(lambda i: t("run_number", id=i))
            vol["source"] = vol["source"].map(lambda s: source_name(s, lang))
            vol = vol[["run", "source", "rows_in"]]
            key = tuple(vol.itertuples(index=False))
            if key != state["chart"]:  # the picture is redrawn only when its numbers change
                state["chart"] = key
                volume.objects = [
                    accessible_chart(
                        t("volume_title"),
                        t(
                            "volume_summary",
                            runs=len(vol),
                            rows=fmt_num(int(vol.rows_in.sum()), lang),
                        ),
                        vol,
                        "run",
                        "rows_in",
                        {"run": t("run"), "source": t("source"), "rows_in": t("rows_in")},
                        t("volume_title"),
                        lang=lang,
                    )
                ]
        backlog = pd.DataFrame(snap["backlog"], columns=["source", "rule", "rows"])
        open_rows = sum(r["rows"] for r in snap["totals"]["quarantine"] if r["status"] == "open")
        n_sources = backlog.source.nunique()
        backlog["source"] = backlog["source"].map(lambda s: source_name(s, lang))
        backlog["rule"] = backlog["rule"].map(lambda r: rule_label(str(r), lang))
        panes.set(
            "backlog",
            f"<h2>{escape(t('backlog_title'))}</h2>"
            f"<p>{escape(t('backlog_summary', open=fmt_num(open_rows, lang), sources=n_sources))}"
            "</p>"
            + table_or_notice(
                backlog,
                t("backlog_title"),
                {"source": t("source"), "rule": t("rule"), "rows": t("rows")},
                t("none_open"),
            ),
        )
        failed, total = snap["checks"]
        fc = pd.DataFrame(
            [
                {
                    "batch_id": c["batch_id"],
                    "source": source_name(c["source"], lang),
                    "check": check_name(c["check"], lang),
                    "blocking": t("yes") if c["blocking"] else t("no"),
                    "observed": check_observed(c["check"], c["observed"], lang),
                }
                for c in failed
            ],
            columns=["batch_id", "source", "check", "blocking", "observed"],
        )
        panes.set(
            "checks",
            f"<h2>{escape(t('checks_title'))}</h2>"
            f"<p>{escape(t('checks_summary', failed=len(failed), total=total))}</p>"
            + table_or_notice(
                fc,
                t("checks_title"),
                {
                    "batch_id": t("batch"),
                    "source": t("source"),
                    "check": t("check"),
                    "blocking": t("blocking"),
                    "observed": t("observed"),
                },
                t("checks_summary", failed=0, total=total),
            ),
        )
        if not runs.empty:
            cols = ["run_id", "source", "started_at", "status", "rows_in", "rows_quarantined"]
            shown = runs.copy()
            shown["source"] = shown["source"].map(lambda s: source_name(s, lang))
            shown["status"] = shown["status"].map(lambda s: status("run", s, lang))
            shown["error"] = shown["error"].map(lambda e: t("run_error") if e else "—")
            panes.set(
                "runs",
                f"<h2>{escape(t('runs_title'))}</h2>"
                + table_or_notice(
                    shown[[*cols, "error"]],
                    t("runs_title"),
                    {c: t(c) for c in cols}
                    | {"run_id": t("run"), "started_at": t("last_run"), "error": t("error")},
                ),
            )
        panes.set(
            "profiles",
            f"<h2>{escape(t('profiles_title'))}</h2><p>{escape(t('profiles_intro'))} "
            f'<a href="{PROFILES_PATH}/">{escape(t("profiles"))}</a></p>',
        )
        at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        stamp.object = (
            f"<p>{escape(t('quality_intro', s=seconds))} {escape(t('refreshed', at=at))}</p>"
        )
        key = (open_rows, len(runs), len(failed), tuple(c["score"] for c in cards))
        if state["last"] is not None and key != state["last"]:
            ctx.say(t("refreshed", at=at))
        state["last"] = key

    render()
    updates = pn.state.add_periodic_callback(render, period=seconds * 1000)
    # WCAG 2.2.2 / RGAA 13.1: content that updates itself can be paused. The button is never
    # re-created: its label changes in place and the focus stays on it.
    toggle = ActionBar(
        actions=[action("toggle", t("pause_refresh"), "secondary", busy=t("working"))]
    )

    def pause_or_resume() -> None:
        if updates.running:
            updates.stop()
            toggle.set_action("toggle", label=t("resume_refresh"))
            message = t("refresh_paused")
        else:
            updates.start()
            toggle.set_action("toggle", label=t("pause_refresh"))
            message = t("refresh_resumed")
        toggle.done(message, "ok")
        ctx.say(message)

    toggle.on("toggle", pause_or_resume)
    order = ["cards", "scores", "fresh"]
    rest = ["backlog", "checks", "runs", "profiles"]
    return pn.Column(
        stamp,
        toggle,
        *[panes.pane(k) for k in order],
        volume,
        *[panes.pane(k) for k in rest],
        sizing_mode="stretch_width",
    )
