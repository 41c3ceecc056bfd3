"""Helpers shared by the pages: a DB session, the organisation filter, widget factories."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import panel as pn
from sqlalchemy import select

from dashboard.components import styled
from dashboard.shell import Context
from healthai.db import get_engine, session_scope
from healthai.models import Organisation


@contextmanager
def db():  # noqa: ANN201
    with session_scope(get_engine()) as session:
        yield session


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


def button(label: str, kind: str = "primary") -> pn.widgets.Button:
    return styled(pn.widgets.Button(name=label, button_type=kind, width=240))


def text(value: Any) -> str:
    return "—" if value is None else str(value)


def org_filtered(ctx: Context, render: Any) -> pn.Column:
    """An organisation filter with an apply button above `render(org) -> [panes]`."""
    org = org_select(ctx)
    apply = button(ctx.t("apply"))
    out = pn.Column(sizing_mode="stretch_width")

    def refresh(announce: bool = False) -> None:
        parts = render(scoped_org(ctx, org.value))
        out.objects = parts
        if announce:
            ctx.say(ctx.t("filters_applied", n=len(parts)))

    apply.on_click(lambda _e: refresh(True))
    refresh()
    from dashboard.components import section

    return pn.Column(
        section(ctx.t("filters")),
        pn.FlexBox(org, apply, align_items="end"),
        out,
        sizing_mode="stretch_width",
    )
