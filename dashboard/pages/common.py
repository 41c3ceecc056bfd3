"""Helpers shared by the pages: a DB session, the organisation filter, widget factories."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pandas as pd
import panel as pn
from sqlalchemy import select

from dashboard.components import styled
from dashboard.components.actions import ActionBar, action
from dashboard.shell import Context
from healthai import access
from healthai.db import get_engine, session_scope
from healthai.models import Organisation
from healthai.queries import cohorts


@contextmanager
def db():  # noqa: ANN201
    with session_scope(get_engine()) as session:
        yield session


def query_arg(name: str) -> str:
    """The page's query argument `name` (`?source=…`), or "" when absent."""
    args = pn.state.session_args or {}
    raw = (args.get(name) or [b""])[0]
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def log_read(ctx: Context, session: Any, resource: str, detail: dict[str, Any]) -> None:
    """Record that the signed-in user read personal data (`resource`: the table, as the API
    names it for the same read) on this page, and commit the entry before the page shows it:
    the web interface writes the same personal-data access log as the API
    (`healthai.access.log_personal_read`), with `via: dashboard` and the page as its path."""
    if ctx.user is None:
        return
    access.log_personal_read(
        session, ctx.user, resource, f"/{ctx.slug}", {**detail, "via": "dashboard"}
    )


def organisation_options(ctx: Context) -> dict[str, int]:
    """Label -> organisation id; a partner only gets its own organisation."""
    with db() as session:
        stmt = select(Organisation.id, Organisation.name).order_by(Organisation.name)
        if ctx.user and ctx.user.tenant is not None:
            stmt = stmt.where(Organisation.id == ctx.user.tenant)
            return {name: oid for oid, name in session.execute(stmt)}
        return {ctx.t("all_orgs"): 0, **{name: oid for oid, name in session.execute(stmt)}}


def org_select(ctx: Context) -> pn.widgets.Select:
    options = organisation_options(ctx)
    if not options and ctx.user and ctx.user.tenant is not None:
        options = {str(ctx.user.tenant): ctx.user.tenant}
    return styled(pn.widgets.Select(name=ctx.t("organisation"), options=options, width=280))


def cohort_select(ctx: Context) -> pn.widgets.Select:
    """The population filter: everyone, or the people published from one source (a cohort:
    the app's users, gym members, a reference dataset), with how many people each holds."""
    from dashboard.attention import population
    from dashboard.i18n import fmt_num
    from dashboard.wording import source_name

    with db() as session:
        people = population(session, scoped_org(ctx, None))
    options = {ctx.t("all_cohorts"): ""}
    options |= {
        f"{source_name(p['source'], ctx.lang)} ({fmt_num(p['users'], ctx.lang)})": p["source"]
        for p in people
    }
    return styled(pn.widgets.Select(name=ctx.t("cohort"), options=options, width=340))


def scoped_org(ctx: Context, chosen: int | None) -> int | None:
    """The organisation a query is confined to: a partner's own, whatever was chosen."""
    if ctx.user and ctx.user.tenant is not None:
        return ctx.user.tenant
    return chosen or None


def period_select(ctx: Context) -> pn.widgets.Select:
    options = {
        ctx.t("period_all"): 0,
        ctx.t("period_7"): 7,
        ctx.t("period_30"): 30,
        ctx.t("period_90"): 90,
    }
    return styled(pn.widgets.Select(name=ctx.t("period"), options=options, width=220))


def since(days: int) -> date | None:
    return date.today() - timedelta(days=days) if days else None


def apply_bar(ctx: Context, run: Any, label: str | None = None) -> ActionBar:
    """The "apply the filters" button: shows it is working, then says what was updated."""
    bar = ActionBar(
        actions=[action("apply", label or ctx.t("apply"), busy=ctx.t("working_filters"))],
        cancel_label=ctx.t("cancel"),
    )
    bar.on("apply", run)
    return bar


def text(value: Any) -> str:
    return "—" if value is None else str(value)


def applied_message(ctx: Context, shown: int) -> str:
    """What applying the filters did, counted from what is on screen (never a fixed number)."""
    return ctx.t("filters_applied", n=shown) if shown else ctx.t("filters_applied_none")


def org_filtered(ctx: Context, render: Any) -> pn.Column:
    """An organisation filter with an apply button above `render(org) -> ([panes], shown)`,
    `shown` being how many figures or tables with data the panes hold."""
    org, cohort = org_select(ctx), cohort_select(ctx)
    out = pn.Column(sizing_mode="stretch_width")

    def refresh(announce: bool = False) -> None:
        with cohorts.within(cohort.value):
            parts, shown = render(scoped_org(ctx, org.value))
        out.objects = parts
        if announce:
            message = applied_message(ctx, shown)
            bar.done(message, "ok")
            ctx.say(message)

    bar = apply_bar(ctx, lambda: refresh(True))
    refresh()
    from dashboard.components import section

    return pn.Column(
        section(ctx.t("filters")),
        pn.FlexBox(org, cohort, align_items="end"),
        bar,
        out,
        sizing_mode="stretch_width",
    )


# columns whose values are enumeration codes, shown in words in sample tables
ENUM_COLUMNS = {
    "sex": "sex",
    "goal": "goal",
    "activity_level": "activity",
    "plan_tier": "plan",
    "intensity": "intensity",
    "meal_type": "meal",
    "workout_type": "workout",
    "level": "level",
    "metric": "metric",
    "platform": "platform",
}
HIDDEN_COLUMNS = {"batch_id", "source_sha256"}


# The language of the text a source delivers (names, labels, instructions, comments): the
# shipped datasets and the simulated ones are in English, CIQUAL in French.
SOURCE_LANG = {"ciqual": "fr"}
DEFAULT_DATA_LANG = "en"


def data_lang(source: str | None) -> str:
    return SOURCE_LANG.get(source or "", DEFAULT_DATA_LANG)


def sample_frame(
    rows: list[dict[str, Any]], lang: str, limit: int = 8, data: str | list[str] = "en"
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Rows of a table as a frame with French column labels and enumeration values in words,
    and for each row the language of its free-text cells (`data`: the language of the rows'
    source, or one per row) where it differs from the page's."""
    from dashboard.i18n import t
    from dashboard.wording import enum

    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame, []
    columns = [c for c in frame.columns if c not in HIDDEN_COLUMNS][:limit]
    frame = frame[columns].copy()
    free_text = [
        c
        for c in columns
        if c not in ENUM_COLUMNS and frame[c].map(lambda v: isinstance(v, str)).any()
    ]
    for column in columns:
        if column in ENUM_COLUMNS:
            frame[column] = frame[column].map(lambda v, k=ENUM_COLUMNS[column]: enum(k, v, lang))
    frame = frame.astype(object).where(frame.notna(), None)
    frame = frame.map(lambda v: v if v is None else str(v))
    per_row = data if isinstance(data, list) else [data] * len(frame)
    labels = {c: t(f"column.{c}", lang) for c in columns}
    langs = [{labels[c]: d for c in free_text} if d != lang else {} for d in per_row]
    return frame.rename(columns=labels), langs


def domain_error(ctx: Context, exc: Exception, item: Any = None) -> str:
    """A refusal of the domain in plain words (its English technical message stays in the
    server's log)."""
    from healthai.pipeline.errors import (
        BatchStateError,
        ContractError,
        FourEyesError,
        NotFoundError,
    )

    if isinstance(exc, FourEyesError):
        return ctx.t("error_four_eyes", id=item)
    if isinstance(exc, NotFoundError):
        return ctx.t("error_not_found", id=item)
    if isinstance(exc, BatchStateError):
        return ctx.t("error_state", id=item)
    if isinstance(exc, ContractError):
        return ctx.t("error_contract")
    return ctx.t("error_unexpected")
