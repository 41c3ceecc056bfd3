"""Business: engagement (DAU/WAU/MAU, retention), premium conversion, satisfaction."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboard.components import accessible_chart, html_table, section
from dashboard.i18n import fmt_num, fmt_pct
from dashboard.pages.common import db, org_filtered
from dashboard.shell import Context
from dashboard.wording import enum
from healthai.queries import analytics


def build(ctx: Context) -> pn.viewable.Viewable:
    t, lang = ctx.t, ctx.lang

    def render(org: int | None) -> tuple[list, int]:
        with db() as session:
            eng = analytics.engagement(session, org)
            conv = analytics.premium_conversion(session, org)
            sat = analytics.satisfaction(session, org)
        engagement = pd.DataFrame(
            [
                (t("dau"), fmt_num(eng["dau"], lang)),
                (t("wau"), fmt_num(eng["wau"], lang)),
                (t("mau"), fmt_num(eng["mau"], lang)),
                (t("stickiness"), fmt_pct(eng["stickiness"], lang)),
                (t("retention_d7"), fmt_pct(eng["retention_d7"], lang)),
                (t("retention_d30"), fmt_pct(eng["retention_d30"], lang)),
            ],
            columns=["metric", "value"],
        )
        plans = pd.DataFrame(
            [{"plan": enum("plan", k, lang), "users": v} for k, v in conv["by_plan"].items()],
            columns=["plan", "users"],
        )
        satisfaction = pd.DataFrame(
            [
                (t("answers"), fmt_num(sat["answers"], lang)),
                (t("mean_score"), fmt_num(sat["mean_score"], lang, 2)),
                (t("kpi_nps"), fmt_num(sat["nps"], lang, 1)),
            ],
            columns=["metric", "value"],
        )
        return [
            section(
                t("engagement_title"),
                t(
                    "engagement_summary",
                    dau=eng["dau"],
                    wau=eng["wau"],
                    mau=eng["mau"],
                    r30=fmt_pct(eng["retention_d30"], lang),
                ),
            ),
            html_table(
                engagement, t("engagement_title"), {"metric": t("metric"), "value": t("value")}
            ),
            accessible_chart(
                t("plans_title"),
                t(
                    "plans_summary",
                    users=fmt_num(conv["users"], lang),
                    share=fmt_pct(conv["premium_share"], lang),
                ),
                plans,
                "plan",
                "users",
                {"plan": t("plan"), "users": t("count_users")},
                t("plans_title"),
                lang=lang,
            ),
            section(
                t("satisfaction_title"),
                t(
                    "satisfaction_summary",
                    answers=sat["answers"],
                    mean=fmt_num(sat["mean_score"], lang, 2),
                    nps=fmt_num(sat["nps"], lang, 1),
                ),
            ),
            html_table(
                satisfaction, t("satisfaction_title"), {"metric": t("metric"), "value": t("value")}
            ),
        ], 3

    return org_filtered(ctx, render)
