"""Fitness: most practised workouts and intensity levels."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboard.components import accessible_chart
from dashboard.pages.common import db, org_filtered
from dashboard.shell import Context
from dashboard.wording import enum
from healthai.queries import analytics


def build(ctx: Context) -> pn.viewable.Viewable:
    t = ctx.t

    def render(org: int | None) -> tuple[list, int]:
        with db() as session:
            top = pd.DataFrame(
                analytics.top_workouts(session, org),
                columns=["workout_type", "sessions", "users", "minutes"],
            )
            inten = pd.DataFrame(
                analytics.intensity_levels(session, org), columns=["intensity", "sessions"]
            )
        inten["intensity"] = inten["intensity"].map(lambda v: enum("intensity", v, ctx.lang))
        top["workout_type"] = top["workout_type"].map(lambda v: enum("workout", v, ctx.lang))
        shown = int(not top.empty) + int(not inten.empty)
        return [
            accessible_chart(
                t("workouts_title"),
                t("workouts_summary", top=top.iloc[0].workout_type, n=top.iloc[0].sessions)
                if not top.empty
                else t("no_data"),
                top,
                "workout_type",
                "sessions",
                {
                    "workout_type": t("workout_type"),
                    "sessions": t("sessions"),
                    "users": t("count_users"),
                    "minutes": t("minutes"),
                },
                t("workouts_title"),
                lang=ctx.lang,
            ),
            accessible_chart(
                t("intensity_title"),
                t(
                    "intensity_summary",
                    top=inten.iloc[0].intensity,
                    n=inten.iloc[0].sessions,
                    total=int(inten.sessions.sum()),
                )
                if not inten.empty
                else t("no_data"),
                inten,
                "intensity",
                "sessions",
                {"intensity": t("intensity"), "sessions": t("sessions")},
                t("intensity_title"),
                lang=ctx.lang,
            ),
        ], shown

    return org_filtered(ctx, render)
