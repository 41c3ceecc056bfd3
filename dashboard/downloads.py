"""Export files as plain links: `GET /telechargement?table=…&format=…&organisation=…&limit=…`
answers the published rows as an attachment, authenticated by the dashboard's session cookie
(the API's signed token) and refused without the API's `exports:read` scope. A link is
reached with Tab and followed with Enter like any other, so the download needs no mouse.

The rows, their order, columns, pseudonyms and CSV/JSON encoding are the API's own
(`healthai.queries.exports`: same columns, records and encoding), so the file equals what
`GET /exports/<table>` answers for the same filters; a partner is confined to its own
organisation whatever it asks for. Every download goes to the personal-data access log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import tornado.web
from sqlalchemy.orm import Session

from dashboard.auth import COOKIE, DashUser, user_from_token
from healthai import access
from healthai.db import get_engine, session_scope
from healthai.queries import exports as queries
from healthai.queries.exports import MEDIA, encode, export_columns
from healthai.settings import get_settings

PATH = "/telechargement"
FORMATS = ("csv", "json")
LIMITS = (100, 1000, 10000, 100000)


def export_tables() -> dict[str, Any]:
    """The API's export paths (`users`, `daily-activity`…) -> their published model."""
    from api.routers.exports import EXPORTS

    return {path: model for path, model, _params in EXPORTS}


def download_href(table: str, fmt: str, organisation_id: int | None, limit: int) -> str:
    query = {"table": table, "format": fmt, "limit": limit}
    if organisation_id:
        query["organisation"] = organisation_id
    return f"{PATH}?{urlencode(query)}"


def filename(table: str, fmt: str) -> str:
    return f"{export_tables()[table].__tablename__}.{fmt}"


def export_records(
    session: Session, model: type, organisation_id: int | None, limit: int
) -> Iterator[dict[str, Any]]:
    """The API's export records (pseudonymised) of `model`, in the API's order."""
    return queries.export_records(
        session, model, get_settings(), False, organisation_id=organisation_id, limit=limit
    )


def export_chunks(
    session: Session, model: type, organisation_id: int | None, limit: int, fmt: str
) -> Iterator[str]:
    """The file, piece by piece, encoded exactly as the API's streamed export."""
    records = export_records(session, model, organisation_id, limit)
    return encode(records, export_columns(model, False), fmt)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class DownloadHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        user: DashUser | None = user_from_token(self.get_cookie(COOKIE))
        if user is None:
            raise tornado.web.HTTPError(401)
        if not user.can("exports:read"):
            raise tornado.web.HTTPError(403)
        tables = export_tables()
        table = self.get_argument("table", "")
        fmt = self.get_argument("format", "csv")
        limit = _int(self.get_argument("limit", "1000"))
        if table not in tables or fmt not in FORMATS or limit not in LIMITS:
            raise tornado.web.HTTPError(400)
        organisation = user.organisation_scope(_int(self.get_argument("organisation", "")))
        model = tables[table]
        self.set_header("Content-Type", MEDIA[fmt])
        self.set_header("Content-Disposition", f'attachment; filename="{filename(table, fmt)}"')
        self.set_header("Cache-Control", "no-store")
        with session_scope(get_engine()) as session:
            access.log_personal_access(
                session,
                user,
                "export",
                model.__tablename__,
                self.request.uri,
                {
                    "filters": {"organisation_id": organisation, "limit": limit},
                    "format": fmt,
                    "via": "dashboard",
                },
            )
            session.flush()
            for chunk in export_chunks(session, model, organisation, limit, fmt):
                self.write(chunk)


def patterns() -> list[tuple[str, Any]]:
    return [(PATH, DownloadHandler)]
