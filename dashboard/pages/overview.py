"""Overview: key indicators at a glance, with period and organisation filters. Every number
is an `healthai.queries.analytics` result, as the API's /analytics endpoints return it for
the same `organisation_id` and `date_from` (the period applies to every dated figure; the
users per plan are today's)."""

from __future__ import annotations

from typing import Any

import panel as pn

from dashboard.components import kpi_list, section
from dashboard.i18n import fmt_num, fmt_pct
from dashboard.pages.common import (
    applied_message,
    apply_bar,
    db,
    org_select,
    period_select,
    scoped_org,
    since,
)
from dashboard.shell import Context
from healthai.queries import analytics


def indicators(organisation_id: int | None, days: int) -> dict[str, Any]:
    """The overview's figures for these filters (also used by the tests against the API):
    the last `days` days (0: the whole history) of one organisation or of everyone."""
    date_from = since(days)
    with db() as session:
        conv = analytics.premium_conversion(session, organisation_id, date_from)
        eng = analytics.engagement(session, organisation_id, None, date_from)
        sat = analytics.satisfaction(session, organisation_id, date_from)
        trend = analytics.nutrition_trends(session, organisation_id, date_from)
        intensity = analytics.intensity_levels(session, organisation_id, date_from)
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
    }


def build(ctx: Context) -> pn.viewable.Viewable:
    org, period = org_select(ctx), period_select(ctx)
    out = pn.Column(sizing_mode="stretch_width")

    def render(announce: bool = False) -> None:
        k = indicators(scoped_org(ctx, org.value), period.value)
        items = [
            (ctx.t("kpi_users"), fmt_num(k["users"], ctx.lang)),
            (ctx.t("kpi_premium"), fmt_pct(k["premium_share"], ctx.lang)),
            (ctx.t("kpi_conversion"), fmt_pct(k["conversion_rate"], ctx.lang)),
            (ctx.t("kpi_mau"), fmt_num(k["mau"], ctx.lang)),
            (ctx.t("kpi_nps"), fmt_num(k["nps"], ctx.lang, 1)),
            (ctx.t("kpi_energy"), fmt_num(k["mean_energy"], ctx.lang)),
            (ctx.t("kpi_workouts"), fmt_num(k["workouts"], ctx.lang)),
        ]
        out.objects = [section(ctx.t("kpi")), kpi_list(items, ctx.t("kpi"))]
        if announce:
            message = applied_message(ctx, len(items))
            apply.done(message, "ok")
            ctx.say(message)

    apply = apply_bar(ctx, lambda: render(True))
    render()
    filters = pn.Column(
        section(ctx.t("filters")),
        pn.FlexBox(period, org, align_items="end"),
        apply,
        sizing_mode="stretch_width",
    )
    return pn.Column(filters, out, sizing_mode="stretch_width")
