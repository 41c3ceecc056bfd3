"""Exports of published tables as CSV or JSON, streamed, with the same filters as the lists.

User identifiers are pseudonymised (HMAC-SHA256 with `PSEUDONYM_SECRET`) unless an admin
asks for `identified=true`; every export is written to the personal-data access log."""

from collections.abc import Iterator
from itertools import islice
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field, create_model

from api.deps import SessionDep, log_personal_access, require
from api.errors import error_responses
from api.routers.resources import RESOURCES
from api.schemas import exports as x
from api.security import Principal
from healthai.models import AppSession, DailyActivity, SatisfactionSurvey, Subscription
from healthai.queries.exports import MEDIA, encode, export_columns, export_record
from healthai.queries.listing import iter_rows

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
    columns = export_columns(model, identified)
    with request.app.state.sessionmaker() as session:
        rows = islice(
            iter_rows(session, model, filters, sort),
            offset,
            None if limit is None else offset + limit,
        )
        records = (export_record(r, model, columns, settings, identified) for r in rows)
        yield from encode(records, columns, fmt)


def _build(path: str, model: type, params: type) -> None:
    ExportParams = create_model(  # noqa: N806
        f"{params.__name__.removesuffix('Params')}ExportParams",
        __base__=params,
        format=(Literal["csv", "json"], Field(default="csv", description="csv or json.")),
        identified=(
            bool,
            Field(default=False, description="Real user ids (admin only); else pseudonyms."),
        ),
        limit=(int | None, Field(default=None, ge=1, le=10_000_000, description="Max rows.")),
    )

    @router.get(
        f"/{path}",
        summary=f"Export {path.replace('-', ' ')}",
        description=f"The published `{model.__tablename__}` rows matching the filters, "
        "streamed as CSV or JSON (an array of objects). User identifiers are pseudonyms "
        "unless an admin sets `identified=true`. Requires `exports:read`; logged.",
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
        filters = {k: v for k, v in params.filters().items() if k not in ("format", "identified")}
        log_personal_access(
            session,
            principal,
            request,
            "export",
            model.__tablename__,
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
