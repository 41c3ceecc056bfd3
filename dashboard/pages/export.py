"""Export: choose a published table, an organisation and a format; preview and download.
Same tables, row order and pseudonymisation as the API's /exports (api.routers.exports);
every download is written to the personal-data access log."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import panel as pn

from dashboard.components import html_table, section, styled
from dashboard.pages.common import button, db, org_select, scoped_org
from dashboard.shell import Context
from healthai.models import User
from healthai.models.accounts import PersonalDataAccess
from healthai.queries.listing import iter_rows
from healthai.settings import get_settings

PREVIEW = 10


def tables() -> dict[str, type]:
    from api.routers.exports import EXPORTS

    return {path: model for path, model, _params in EXPORTS}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def records(model: type, organisation_id: int | None, limit: int) -> list[dict[str, Any]]:
    from healthai.privacy import pseudonym

    settings = get_settings()
    columns = [c.name for c in model.__table__.columns]
    if model is User:
        columns.remove("external_key")
    key = "id" if model is User else "user_id"
    out = []
    with db() as session:
        for row in iter_rows(session, model, {}, None, organisation_id=organisation_id):
            if len(out) >= limit:
                break
            record = {c: _value(getattr(row, c)) for c in columns}
            if key in record:
                record[key] = pseudonym(settings, record[key])
            out.append(record)
    return out


def build(ctx: Context) -> pn.viewable.Viewable:
    t = ctx.t
    options = tables()
    table = styled(pn.widgets.Select(name=t("table_choice"), options=list(options), width=260))
    org = org_select(ctx)
    fmt = styled(pn.widgets.Select(name=t("format"), options=["csv", "json"], width=120))
    limit = styled(
        pn.widgets.Select(
            name=t("limit"), options=[100, 1000, 10000, 100000], value=1000, width=200
        )
    )
    apply = button(t("apply"))
    preview = pn.Column(sizing_mode="stretch_width")

    def payload() -> io.StringIO:
        rows = records(options[table.value], scoped_org(ctx, org.value), limit.value)
        with db() as session:
            session.add(
                PersonalDataAccess(
                    actor=ctx.user.username if ctx.user else "?",
                    role=ctx.user.role if ctx.user else "?",
                    action="export",
                    resource=table.value,
                    path=f"/export?table={table.value}&format={fmt.value}",
                    detail={"rows": len(rows), "via": "dashboard"},
                )
            )
        buf = io.StringIO()
        if fmt.value == "json":
            json.dump(rows, buf, default=str, ensure_ascii=False)
        elif rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        buf.seek(0)
        return buf

    download = styled(
        pn.widgets.FileDownload(
            callback=payload,
            filename="export.csv",
            label=t("download"),
            button_type="primary",
            width=240,
            embed=False,
        )
    )

    def refresh(announce: bool = False) -> None:
        rows = records(options[table.value], scoped_org(ctx, org.value), limit.value)
        frame = pd.DataFrame(rows).head(PREVIEW)
        frame = frame[list(frame.columns)[:8]] if not frame.empty else frame
        download.filename = f"{table.value}.{fmt.value}"
        preview.objects = [
            html_table(
                frame.astype(str),
                t("preview", n=min(PREVIEW, len(rows)), total=len(rows)),
                empty=t("no_data"),
            )
        ]
        if announce:
            ctx.say(t("export_ready", total=len(rows)))

    apply.on_click(lambda _e: refresh(True))
    fmt.param.watch(lambda _e: setattr(download, "filename", f"{table.value}.{fmt.value}"), "value")
    refresh()
    return pn.Column(
        section(t("export"), t("export_intro")),
        pn.FlexBox(table, org, fmt, limit, align_items="end"),
        pn.FlexBox(apply, download),
        preview,
        sizing_mode="stretch_width",
    )
