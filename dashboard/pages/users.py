"""Users: age distribution, declared goals, progression of weight (healthai.queries.analytics)."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboard.components import accessible_chart, kpi_list, section
from dashboard.i18n import fmt_num, fmt_pct
from dashboard.pages.common import db, org_filtered
from dashboard.shell import Context
from dashboard.wording import enum
from healthai.queries import analytics


def build(ctx: Context) -> pn.viewable.Viewable:
    t = ctx.t

    def render(org: int | None) -> tuple[list, int]:
        with db() as session:
            ages = pd.DataFrame(analytics.age_distribution(session, org))
            goals = pd.DataFrame(analytics.goals(session, org), columns=["goal", "users"])
            prog = analytics.progression(session, "weight_kg", org)
        goals["goal"] = goals["goal"].map(lambda g: enum("goal", g, ctx.lang))
        ages["band"] = ages["band"].map(lambda b: t("age_unknown") if b in (None, "unknown") else b)
        top_age = ages.sort_values("users", ascending=False).iloc[0]
        top_goal = goals.iloc[0] if not goals.empty else {"goal": "—", "users": 0}
        shown = int(ages.users.sum() > 0) + int(not goals.empty) + 1
        return [
            accessible_chart(
                t("age_title"),
                t("age_summary", total=int(ages.users.sum()), band=top_age.band, n=top_age.users),
                ages,
                "band",
                "users",
                {"band": t("band"), "users": t("count_users")},
                t("age_title"),
                lang=ctx.lang,
            ),
            accessible_chart(
                t("goals_title"),
                t(
                    "goals_summary",
                    goal=top_goal["goal"],
                    n=top_goal["users"],
                    total=int(goals.users.sum()),
                ),
                goals,
                "goal",
                "users",
                {"goal": t("goal"), "users": t("count_users")},
                t("goals_title"),
                lang=ctx.lang,
            ),
            section(
                t("progress_title"),
                t(
                    "progress_summary",
                    n=prog["users_with_progression"],
                    change=fmt_num(prog["mean_change"], ctx.lang, 2),
                    share=fmt_pct(prog["share_decreasing"], ctx.lang),
                ),
            ),
            kpi_list(
                [
                    (t("count_users"), fmt_num(prog["users_measured"], ctx.lang)),
                    (t("kpi_weight_change"), fmt_num(prog["mean_change"], ctx.lang, 2)),
                    (t("kpi_weight_week"), fmt_num(prog["mean_change_per_week"], ctx.lang, 3)),
                    (t("kpi_weight_losers"), fmt_pct(prog["share_decreasing"], ctx.lang)),
                ],
                t("progress_title"),
            ),
        ], shown

    return org_filtered(ctx, render)
