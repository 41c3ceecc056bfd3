"""Overview: key indicators at a glance, with period and organisation filters. Every number
is an `healthai.queries.analytics` result, as the API's /analytics endpoints return it for
the same `organisation_id` and `date_from` (the period applies to every dated figure; the
users per plan are today's). Above them: which population they count (people per source),
what needs a person now (`dashboard.attention`), and for a chosen period the change of each
dated figure against the period just before, and the daily trend of the period."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

import pandas as pd
import panel as pn

from dashboard import attention
from dashboard.components import accessible_chart, html_table, section
from dashboard.components.base import CONTENT_CSS
from dashboard.i18n import fmt_num, fmt_pct
from dashboard.pages.common import (
    applied_message,
    apply_bar,
    cohort_select,
    db,
    org_select,
    period_select,
    scoped_org,
    since,
)
from dashboard.shell import Context
from dashboard.wording import check_name, source_name
from healthai.queries import analytics, cohorts

# dated figures compared with the previous period: key -> how the change is written
COMPARED = {
    "conversion_rate": "points",
    "mau": "percent",
    "nps": "points",
    "mean_energy": "percent",
    "workouts": "percent",
}


def indicators_between(
    organisation_id: int | None, date_from: date | None, date_to: date | None = None
) -> dict[str, Any]:
    """The overview's figures for one organisation (None: everyone) between two days."""
    with db() as session:
        conv = analytics.premium_conversion(session, organisation_id, date_from, date_to)
        eng = analytics.engagement(session, organisation_id, None, date_from, date_to)
        sat = analytics.satisfaction(session, organisation_id, date_from, date_to)
        trend = analytics.nutrition_trends(session, organisation_id, date_from, date_to)
        intensity = analytics.intensity_levels(session, organisation_id, date_from, date_to)
    energies = [d["energy_kcal"] for d in trend if d["energy_kcal"] is not None]
    return {
        "users": conv["users"],
        "premium_share": conv["premium_share"],
        "conversion_rate": conv["conversion_rate"],
        "mau": eng["mau"],
        "nps": sat["nps"],
        "meal_days": len(trend),
        "mean_energy": round(sum(energies) / len(energies), 1) if energies else None,
        "workouts": sum(r["sessions"] for r in intensity),
        "trend": trend,
    }


def indicators(organisation_id: int | None, days: int) -> dict[str, Any]:
    """The overview's figures for these filters (also used by the tests against the API):
    the last `days` days (0: the whole history) of one organisation or of everyone."""
    k = indicators_between(organisation_id, since(days))
    k.pop("trend")
    return k


def previous_period(days: int, today: date | None = None) -> tuple[date, date]:
    """The `days` days just before the last `days` days (which start at today - days)."""
    today = today or date.today()
    start = today - timedelta(days=days)
    return start - timedelta(days=days), start - timedelta(days=1)


def change_text(ctx: Context, kind: str, now: Any, before: Any) -> str:
    """The change of a figure against the previous period, in words (never by colour)."""
    if now is None or before is None:
        return ctx.t("change_unknown")
    if kind == "points":
        scale = 100 if isinstance(now, float) and abs(now) <= 1 and abs(before) <= 1 else 1
        delta = (now - before) * scale
        if abs(delta) < 0.05:
            return ctx.t("change_same")
        key = "change_up_points" if delta > 0 else "change_down_points"
        return ctx.t(key, delta=fmt_num(abs(delta), ctx.lang, 1))
    if not before:
        return ctx.t("change_from_zero") if now else ctx.t("change_same")
    ratio = (now - before) / abs(before)
    if abs(ratio) < 0.0005:
        return ctx.t("change_same")
    key = "change_up" if ratio > 0 else "change_down"
    return ctx.t(key, pct=fmt_num(abs(ratio) * 100, ctx.lang, 1))


def population_html(ctx: Context, people: list[dict[str, Any]]) -> str:
    total = sum(p["users"] for p in people)
    if not total:
        return f"<p>{escape(ctx.t('population_none'))}</p>"
    parts = ", ".join(
        ctx.t(
            "population_part",
            n=fmt_num(p["users"], ctx.lang),
            source=source_name(p["source"], ctx.lang),
        )
        for p in people
    )
    text = ctx.t("population", n=fmt_num(total, ctx.lang), parts=parts)
    return f"<p class='population'>{escape(text)}</p>"


def attention_html(ctx: Context, todo: dict[str, Any]) -> str:
    """The "needs attention" panel: one line per thing waiting, each a link to where to act."""
    q = "?lang=en" if ctx.lang == "en" else ""
    amp = "&lang=en" if ctx.lang == "en" else ""
    items: list[tuple[str, str]] = []
    for b in todo["batches"]:
        items.append(
            (
                f"/validation?source={b['source']}{amp}",
                ctx.t(
                    "attention_batch",
                    id=b["batch_id"],
                    source=source_name(b["source"], ctx.lang),
                    rows=fmt_num(b["rows_staged"], ctx.lang),
                ),
            )
        )
    for c in todo["failing_checks"]:
        items.append(
            (
                f"/validation?source={c['source']}{amp}",
                ctx.t("attention_check", id=c["batch_id"], check=check_name(c["check"], ctx.lang)),
            )
        )
    for f in todo["failed_files"]:
        items.append(
            (
                f"/validation?source={f['source']}{amp}",
                ctx.t(
                    "attention_file" if f["state"] == "failed" else "attention_file_refused",
                    file=f["file"] or ctx.t("file_unknown"),
                    source=source_name(f["source"], ctx.lang),
                    at=f["at"] or "—",
                ),
            )
        )
    for s in todo["stale_sources"]:
        items.append((f"/qualite{q}", ctx.t("attention_stale", source=source_name(s, ctx.lang))))
    for s in todo["low_sources"]:
        items.append((f"/qualite{q}", ctx.t("attention_low", source=source_name(s, ctx.lang))))
    head = f"<h2>{escape(ctx.t('attention'))}</h2>"
    if not items:
        return head + f"<p>{escape(ctx.t('todo_none'))}</p>"
    lis = "".join(f'<li><a href="{escape(h)}">{escape(x)}</a></li>' for h, x in items)
    summary = escape(ctx.t("attention_summary", n=len(items)))
    return head + f"<p>{summary}</p><ul class='todo'>{lis}</ul>"


def kpis_html(ctx: Context, items: list[tuple[str, str, str]]) -> str:
    """Key figures (label, value, change against the previous period or "")."""
    lis = "".join(
        f'<li><span class="label">{escape(k)}</span> <span class="value">{escape(v)}</span>'
        + (f' <span class="change">{escape(c)}</span>' if c else "")
        + "</li>"
        for k, v, c in items
    )
    return f'<ul class="kpis" aria-label="{escape(ctx.t("kpi"))}">{lis}</ul>'


def build(ctx: Context) -> pn.viewable.Viewable:
    org, period, cohort = org_select(ctx), period_select(ctx), cohort_select(ctx)
    out = pn.Column(sizing_mode="stretch_width")
    can_act = bool(ctx.user and ctx.user.can("batches:read"))

    def render(announce: bool = False) -> None:
        chosen, days = scoped_org(ctx, org.value), period.value
        with cohorts.within(cohort.value):
            k = indicators_between(chosen, since(days))
            before = indicators_between(chosen, *previous_period(days)) if days else None
        with db() as session:
            people = attention.population(session, chosen)
            todo = attention.needs_attention(session) if can_act else None
        if cohort.value:
            people = [p for p in people if p["source"] == cohort.value]

        def change(key: str) -> str:
            if before is None or key not in COMPARED:
                return ""
            return change_text(ctx, COMPARED[key], k[key], before[key])

        values = {
            "users": fmt_num(k["users"], ctx.lang),
            "premium_share": fmt_pct(k["premium_share"], ctx.lang),
            "conversion_rate": fmt_pct(k["conversion_rate"], ctx.lang),
            "mau": fmt_num(k["mau"], ctx.lang),
            "nps": fmt_num(k["nps"], ctx.lang, 1),
            "mean_energy": fmt_num(k["mean_energy"], ctx.lang),
            "workouts": fmt_num(k["workouts"], ctx.lang),
        }
        labels = {
            "users": ctx.t("kpi_users"),
            "premium_share": ctx.t("kpi_premium"),
            "conversion_rate": ctx.t("kpi_conversion"),
            "mau": ctx.t("kpi_mau"),
            "nps": ctx.t("kpi_nps"),
            "mean_energy": ctx.t("kpi_energy"),
            "workouts": ctx.t("kpi_workouts"),
        }
        items = [(labels[key], values[key], change(key)) for key in values]
        parts: list[Any] = []
        if todo is not None:
            parts.append(
                pn.pane.HTML(
                    attention_html(ctx, todo),
                    stylesheets=[CONTENT_CSS],
                    sizing_mode="stretch_width",
                )
            )
        kpi_intro = ctx.t("kpi_compared", days=days) if days else ctx.t("kpi_whole")
        parts += [
            section(ctx.t("kpi"), kpi_intro),
            pn.pane.HTML(
                population_html(ctx, people) + kpis_html(ctx, items),
                stylesheets=[CONTENT_CSS],
                sizing_mode="stretch_width",
            ),
        ]
        shown = len(items)
        if before is not None:
            rows = [
                {
                    "figure": labels[key],
                    "now": values[key],
                    "before": {
                        "conversion_rate": fmt_pct(before["conversion_rate"], ctx.lang),
                        "mau": fmt_num(before["mau"], ctx.lang),
                        "nps": fmt_num(before["nps"], ctx.lang, 1),
                        "mean_energy": fmt_num(before["mean_energy"], ctx.lang),
                        "workouts": fmt_num(before["workouts"], ctx.lang),
                    }[key],
                    "change": change(key),
                }
                for key in COMPARED
            ]
            parts.append(
                html_table(
                    pd.DataFrame(rows, columns=["figure", "now", "before", "change"]),
                    ctx.t("compare_caption", days=days),
                    {
                        "figure": ctx.t("figure"),
                        "now": ctx.t("period_now", days=days),
                        "before": ctx.t("period_before", days=days),
                        "change": ctx.t("change"),
                    },
                )
            )
            shown += 1
        trend = pd.DataFrame(k["trend"], columns=["date", "users", "energy_kcal"])
        trend = trend.dropna(subset=["energy_kcal"])
        if not trend.empty:
            trend["date"] = trend["date"].astype(str)
            summary = ctx.t(
                "trend_summary",
                days=len(trend),
                low=fmt_num(trend.energy_kcal.min(), ctx.lang),
                high=fmt_num(trend.energy_kcal.max(), ctx.lang),
                mean=fmt_num(trend.energy_kcal.mean(), ctx.lang),
            )
            parts.append(
                accessible_chart(
                    ctx.t("trend_title"),
                    summary,
                    trend[["date", "energy_kcal", "users"]],
                    "date",
                    "energy_kcal",
                    {
                        "date": ctx.t("date"),
                        "energy_kcal": ctx.t("energy"),
                        "users": ctx.t("count_users"),
                    },
                    ctx.t("trend_title"),
                    kind="line",
                    lang=ctx.lang,
                )
            )
            shown += 1
        out.objects = parts
        if announce:
            message = applied_message(ctx, shown)
            apply.done(message, "ok")
            ctx.say(message)

    apply = apply_bar(ctx, lambda: render(True))
    render()
    filters = pn.Column(
        section(ctx.t("filters")),
        pn.FlexBox(period, org, cohort, align_items="end"),
        apply,
        sizing_mode="stretch_width",
    )
    return pn.Column(filters, out, sizing_mode="stretch_width")
