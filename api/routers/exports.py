"""Exports of published tables as CSV or JSON, streamed, with the same filters as the lists.

User identifiers are pseudonymised (HMAC-SHA256 with `PSEUDONYM_SECRET`) unless an admin
asks for `identified=true`; every export is written to the personal-data access log."""

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field, create_model

from api.deps import SessionDep, require
from api.errors import error_responses
from api.routers.resources import RESOURCES
from api.schemas import exports as x
from api.schemas.common import Id
from healthai import access
from healthai.access import Principal
from healthai.models import AppSession, DailyActivity, SatisfactionSurvey, Subscription
from healthai.privacy import is_personal
from healthai.queries.exports import MEDIA, encode, export_columns, export_records

router = APIRouter(prefix="/exports", tags=["exports"], responses=error_responses(401, 403, 422))

EXPORTS: list[tuple[str, type, type]] = [(r.path, r.model, r.params) for r in RESOURCES] + [
    ("daily-activity", DailyActivity, x.DailyActivityParams),
    ("app-sessions", AppSession, x.AppSessionParams),
    ("satisfaction-surveys", SatisfactionSurvey, x.SatisfactionParams),
    ("subscriptions", Subscription, x.SubscriptionParams),
]


def _stream(
    request: Request,
    model: type,
    filters: dict,
    sort: str | None,
    limit: int | None,
    offset: int,
    identified: bool,
    fmt: str,
) -> Iterator[str]:
    settings = request.app.state.settings
    with request.app.state.sessionmaker() as session:
        records = export_records(
            session,
            model,
            settings,
            identified,
            filters=filters,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        yield from encode(records, export_columns(model, identified), fmt)


PSEUDONYMISED = (
    "Unless an admin sets `identified=true`, the export is pseudonymised: every user id "
    "(`users.id`, `user_id`) and every row id of a table about people is a pseudonym "
    "(HMAC-SHA256 keyed with the platform's secret, 16 hex characters, stable across exports); "
    "the lineage columns (`batch_id`, `source_sha256`, `source_record`, `created_at`) and "
    "`users.external_key` are left out; rows come ordered by pseudonym (or by `sort`, ties "
    "broken by pseudonym), never by real id, and `sort=id` / `sort=user_id` sort by the "
    "pseudonyms shown. Filtering by a real `user_id` is for callers allowed identified exports "
    "(403 otherwise: it would link a real id to its pseudonym)."
)


def _build(path: str, model: type, params: type) -> None:
    extra: dict = {}
    if "user_id" in params.model_fields:
        extra["user_id"] = (
            Id | None,
            Field(
                default=None,
                description="Real user id. Without `identified=true`, only for a caller allowed "
                "identified exports (admin); 403 otherwise.",
            ),
        )
    ExportParams = create_model(  # noqa: N806
        f"{params.__name__.removesuffix('Params')}ExportParams",
        __base__=params,
        format=(Literal["csv", "json"], Field(default="csv", description="csv or json.")),
        identified=(
            bool,
            Field(default=False, description="Real user ids (admin only); else pseudonyms."),
        ),
        limit=(int | None, Field(default=None, ge=1, le=10_000_000, description="Max rows.")),
        **extra,
    )

    @router.get(
        f"/{path}",
        summary=f"Export {path.replace('-', ' ')}",
        description=f"The published `{model.__tablename__}` rows matching the filters, "
        "streamed as CSV or JSON (an array of objects); `offset` and `limit` are applied by "
        "the database. "
        + (PSEUDONYMISED if is_personal(model.__table__) else "")
        + " Requires `exports:read`; logged.",
        name=f"export_{path.replace('-', '_')}",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "The rows.",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                },
            }
        },
    )
    def export(
        request: Request,
        session: SessionDep,
        params: Annotated[ExportParams, Query()],
        principal: Annotated[Principal, require("exports:read")],
    ) -> StreamingResponse:
        if params.identified and "exports:identified" not in principal.scopes:
            raise HTTPException(
                status_code=403, detail="only an admin may export real user identifiers"
            )
        user_filter = getattr(params, "user_id", None) is not None
        if user_filter and not params.identified and "exports:identified" not in principal.scopes:
            raise HTTPException(
                status_code=403,
                detail="filtering a pseudonymised export by a real user id would link the id to "
                "its pseudonym: only an admin may",
            )
        filters = {k: v for k, v in params.filters().items() if k not in ("format", "identified")}
        access.log_personal_access(
            session,
            principal,
            "export",
            model.__tablename__,
            request.url.path,
            {"filters": params.model_dump(mode="json", exclude_none=True)},
        )
        session.commit()
        body = _stream(
            request,
            model,
            filters,
            params.sort,
            params.limit,
            params.offset,
            params.identified,
            params.format,
        )
        filename = f"{model.__tablename__}.{params.format}"
        return StreamingResponse(
            body,
            media_type=MEDIA[params.format],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


for _path, _model, _params in EXPORTS:
    _build(_path, _model, _params)
