"""Nutrition: mean daily intake over time and gaps to reference intakes by profile."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboard.components import accessible_chart, html_table, section
from dashboard.i18n import fmt_num
from dashboard.pages.common import db, org_filtered
from dashboard.shell import Context
from dashboard.wording import enum
from healthai.queries import analytics


def build(ctx: Context) -> pn.viewable.Viewable:
    t = ctx.t

    def render(org: int | None) -> tuple[list, int]:
        with db() as session:
            trend = pd.DataFrame(
                analytics.nutrition_trends(session, org), columns=["date", "users", "energy_kcal"]
            )
            ref = pd.DataFrame(
                analytics.nutrition_vs_reference(session, org),
                columns=["sex", "goal", "nutrient", "users", "deficit", "within", "excess"],
            )
        if trend.empty:
            summary = t("no_data")
        else:
            e = trend.energy_kcal.dropna()
            summary = t(
                "trend_summary",
                days=len(trend),
                low=fmt_num(e.min(), ctx.lang),
                high=fmt_num(e.max(), ctx.lang),
                mean=fmt_num(e.mean(), ctx.lang),
            )
        trend["date"] = trend["date"].astype(str)
        ref["sex"] = ref["sex"].map(lambda v: enum("sex", v, ctx.lang))
        ref["goal"] = ref["goal"].map(lambda v: enum("goal", v, ctx.lang))
        ref["nutrient"] = ref["nutrient"].map(lambda v: enum("nutrient", v, ctx.lang))
        shown = int(not trend.empty) + int(not ref.empty)
        return [
            accessible_chart(
                t("trend_title"),
                summary,
                trend[["date", "energy_kcal", "users"]],
                "date",
                "energy_kcal",
                {"date": t("date"), "energy_kcal": t("energy"), "users": t("count_users")},
                t("trend_title"),
                kind="line",
                lang=ctx.lang,
            ),
            section(
                t("ref_title"),
                t(
                    "ref_summary",
                    deficit=int(ref.deficit.sum()),
                    excess=int(ref.excess.sum()),
                    rows=len(ref),
                )
                if not ref.empty
                else t("no_data"),
            ),
            html_table(
                ref,
                t("ref_title"),
                {c: t(c) for c in ref.columns} | {"users": t("count_users")},
                empty=t("no_data"),
            ),
        ], shown

    return org_filtered(ctx, render)
