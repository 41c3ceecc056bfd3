"""Export: choose a published table, an organisation, a format and a row limit; preview, and
download through a plain link (dashboard.downloads) that the keyboard reaches and follows like
any other. Same tables, rows, order, pseudonymisation and encoding as the API's /exports
(healthai.queries.exports); every download is written to the personal-data access log."""

from __future__ import annotations

from html import escape

import panel as pn
from sqlalchemy import func, select

from dashboard.components import html_table, section, styled
from dashboard.components.base import CONTENT_CSS
from dashboard.downloads import FORMATS, LIMITS, download_href, export_tables
from dashboard.i18n import fmt_num
from dashboard.pages.common import (
    apply_bar,
    data_lang,
    db,
    org_select,
    sample_frame,
    scoped_org,
)
from dashboard.shell import Context
from healthai.queries import dashboard_support
from healthai.queries import exports as queries
from healthai.settings import get_settings

PREVIEW = 10
LINK_CSS = """
a.download { display: inline-block; background: #0b3d91; color: #fff; border-radius: 4px;
  padding: 0.45rem 1rem; font-weight: 600; text-decoration: none; }
a.download:hover { text-decoration: underline; }
a.download:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }
"""


def build(ctx: Context) -> pn.viewable.Viewable:
    t = ctx.t
    options = export_tables()
    table = styled(
        pn.widgets.Select(
            name=t("table_choice"),
            options={t(f"export.{path}"): path for path in options},
            width=320,
        )
    )
    org = org_select(ctx)
    fmt = styled(pn.widgets.Select(name=t("format"), options=list(FORMATS), width=120))
    limit = styled(pn.widgets.Select(name=t("limit"), options=list(LIMITS), value=1000, width=200))
    preview = pn.Column(sizing_mode="stretch_width")
    link = pn.pane.HTML(stylesheets=[CONTENT_CSS, LINK_CSS], sizing_mode="stretch_width")

    def update_link(*_args: object) -> None:
        """The link always downloads what the fields above say, named in its text."""
        href = download_href(table.value, fmt.value, scoped_org(ctx, org.value), limit.value)
        text = t("download_link", table=t(f"export.{table.value}"), fmt=fmt.value.upper())
        link.object = (
            f'<p><a class="download" href="{escape(href)}" download>{escape(text)}</a></p>'
            f"<p>{escape(t('download_hint'))}</p>"
        )

    def refresh(announce: bool = False) -> None:
        model, scope = options[table.value], scoped_org(ctx, org.value)
        settings = get_settings()
        with db() as session:
            chosen = queries.export_select(
                session, model, settings, False, organisation_id=scope, limit=limit.value
            )
            total = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
            first = chosen.limit(PREVIEW)
            has_batch = "batch_id" in model.__table__.c
            if has_batch:  # the language of each previewed row's text is its source's
                first = first.add_columns(model.__table__.c.batch_id.label("_batch"))
            rows = [dict(r) for r in session.execute(first).mappings()]
            batches = [r.pop("_batch", None) for r in rows]
            sources = dashboard_support.batch_sources(session, batches)
        langs = [data_lang(sources.get(b)) for b in batches]
        frame, cell_langs = sample_frame(rows, ctx.lang, 8, langs)
        preview.objects = [
            html_table(
                frame,
                t("preview", n=min(PREVIEW, len(rows)), total=fmt_num(total, ctx.lang)),
                empty=t("no_data"),
                langs=cell_langs,
            )
        ]
        if announce:
            message = t("export_ready", total=fmt_num(total, ctx.lang))
            apply.done(message, "ok")
            ctx.say(message)

    apply = apply_bar(ctx, lambda: refresh(True))
    for widget in (table, org, fmt, limit):
        widget.param.watch(update_link, "value")
    update_link()
    refresh()
    return pn.Column(
        section(t("export"), t("export_intro")),
        pn.FlexBox(table, org, fmt, limit, align_items="end"),
        apply,
        link,
        preview,
        sizing_mode="stretch_width",
    )
