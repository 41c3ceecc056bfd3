"""CRUD routes with pagination, filtering and sorting, built from one declaration per resource
(no `from __future__ import annotations` here: FastAPI reads the closures' annotations)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool

from api import caching
from api.deps import SessionDep, require
from api.errors import error_responses
from api.responses import json_response, records
from api.schemas import resources as s
from api.schemas.common import ResourcePage as PageOf
from api.writes import audit, manual_batch, row_dict, set_lineage, version_change
from healthai import access
from healthai.access import Principal
from healthai.access.log_writer import entry as log_entry
from healthai.erasure import erase_user
from healthai.models import (
    BiometricMeasurement,
    Exercise,
    Food,
    MealLog,
    Organisation,
    Recipe,
    User,
    WorkoutSession,
)
from healthai.pipeline import aggregates, measurements
from healthai.queries.listing import Page, get_one, page

IdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="Row id.")]


@dataclass
class Resource:
    path: str
    tag: str
    label: str  # singular, for messages
    model: type
    create: type
    update: type
    read: type
    params: type
    read_scope: str
    write_scope: str
    delete_scope: str
    personal: bool = False
    lineage: bool = True
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    description: str = ""
    load: tuple[Any, ...] = ()  # loader options for related rows shown in Read

    @property
    def table(self) -> str:
        return self.model.__tablename__

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The table columns `read` shows, when it shows nothing else (then a read selects
        plain rows of them, no ORM objects); None when it shows related rows."""
        names = tuple(self.read.model_fields)
        table = self.model.__table__
        return names if all(n in table.c for n in names) else None


def _catalogue_code(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def prepare(values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "source": "api", "code": f"api:{values[key]}"}

    return prepare


def _user_key(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "external_key": values.get("external_key") or f"api:{uuid.uuid4().hex}"}


RESOURCES: list[Resource] = [
    Resource(
        "organisations",
        "organisations",
        "organisation",
        Organisation,
        s.OrganisationCreate,
        s.OrganisationUpdate,
        s.OrganisationRead,
        s.OrganisationParams,
        "organisations:read",
        "organisations:write",
        "organisations:write",
        lineage=False,
        description="B2B tenants (gyms, insurers, employers). A partner sees only its own.",
    ),
    Resource(
        "users",
        "users",
        "user",
        User,
        s.UserCreate,
        s.UserUpdate,
        s.UserRead,
        s.UserParams,
        "people:read",
        "people:write",
        "people:erase",
        personal=True,
        prepare=_user_key,
        description="Coached people (pseudonymous profiles). A partner sees only its members; "
        "deleting a user erases all their data (RGPD).",
    ),
    Resource(
        "foods",
        "foods",
        "food",
        Food,
        s.FoodCreate,
        s.FoodUpdate,
        s.FoodRead,
        s.FoodParams,
        "catalogue:read",
        "catalogue:write",
        "catalogue:write",
        prepare=_catalogue_code("source_code"),
        description="Foods with their nutrients per 100 g.",
    ),
    Resource(
        "recipes",
        "recipes",
        "recipe",
        Recipe,
        s.RecipeCreate,
        s.RecipeUpdate,
        s.RecipeRead,
        s.RecipeParams,
        "catalogue:read",
        "catalogue:write",
        "catalogue:write",
        prepare=_catalogue_code("source_code"),
        description="Recipes.",
        load=(selectinload(Recipe.ingredients),),
    ),
    Resource(
        "exercises",
        "exercises",
        "exercise",
        Exercise,
        s.ExerciseCreate,
        s.ExerciseUpdate,
        s.ExerciseRead,
        s.ExerciseParams,
        "catalogue:read",
        "catalogue:write",
        "catalogue:write",
        prepare=_catalogue_code("source_key"),
        description="The merged exercise catalogue.",
        load=(selectinload(Exercise.muscles),),
    ),
    Resource(
        "meal-logs",
        "meal-logs",
        "meal log",
        MealLog,
        s.MealLogCreate,
        s.MealLogUpdate,
        s.MealLogRead,
        s.MealLogParams,
        "people:read",
        "people:write",
        "people:write",
        personal=True,
        description="What users ate, with the nutrients of the logged quantity.",
    ),
    Resource(
        "workout-sessions",
        "workout-sessions",
        "workout session",
        WorkoutSession,
        s.WorkoutSessionCreate,
        s.WorkoutSessionUpdate,
        s.WorkoutSessionRead,
        s.WorkoutSessionParams,
        "people:read",
        "people:write",
        "people:write",
        personal=True,
        description="Training sessions of users.",
    ),
    Resource(
        "metrics",
        "metrics",
        "measurement",
        BiometricMeasurement,
        s.MetricCreate,
        s.MetricUpdate,
        s.MetricRead,
        s.MetricParams,
        "people:read",
        "people:write",
        "people:write",
        personal=True,
        description="Biometric measurements (weight, body fat, sleep, heart rate...).",
    ),
]


def _next_after(rows: list[Any], params: Any, columns: tuple[str, ...] | None) -> int | None:
    """The last row's id when the page is full and in id order (the next page's `after`)."""
    if len(rows) < params.limit or params.sort not in (None, "id"):
        return None
    last = rows[-1]
    return int(last[columns.index("id")] if columns else last.id)


def _with(headers_from: Response, answer: Response) -> Response:
    """An answer built by the route, with the headers its dependencies set (api.caching)."""
    answer.headers.update(headers_from.headers)
    return answer


def _not_found(res: Resource, row_id: int) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{res.label} {row_id} does not exist")


def build_router(res: Resource) -> APIRouter:  # noqa: C901 - one closure per route
    router = APIRouter(
        prefix=f"/{res.path}",
        tags=[res.tag],
        responses=error_responses(401, 403, 422),
    )
    Read, Create, Update, Params = res.read, res.create, res.update, res.params  # noqa: N806
    slug = res.path.replace("-", "_")

    columns = res.columns
    # Cache-Control by audience, validators and 304 for the catalogues (api.caching)
    cached = [caching.for_resource(res.read_scope, res.personal)]

    def reader(app: Any) -> Any:
        """Plain rows need no ORM session: a pooled connection (no identity map, no snapshot)."""
        return app.state.read_engine.connect() if columns else app.state.read_sessions()

    def read_page(app: Any, params: Any, tenant: int | None) -> Page:
        with reader(app) as session:
            return page(
                session,
                res.model,
                params.filters(),
                params.sort,
                params.limit,
                params.offset,
                organisation_id=tenant,
                options=res.load,
                columns=columns,
                after=params.after,
            )

    def read_one(app: Any, row_id: int, tenant: int | None) -> Any:
        with reader(app) as session:
            return get_one(session, res.model, row_id, tenant, res.load, columns)

    @router.get(
        "",
        response_model=PageOf[Read],
        summary=f"List {res.path.replace('-', ' ')}",
        description=f"{res.description} Filters, sorting (`sort=col` or `sort=-col`) and "
        f"pagination (`limit`, `offset`). Requires `{res.read_scope}`.",
        name=f"list_{slug}",
        dependencies=cached,
    )
    async def list_rows(
        request: Request,
        response: Response,
        params: Annotated[Params, Query()],
        principal: Annotated[Principal, require(res.read_scope)],
    ) -> Any:
        # the reads in one worker-thread hop; the access-log entry committed with the other
        # concurrent reads' (healthai.access.log_writer) before the answer leaves
        app = request.app
        rows, total, exact = await run_in_threadpool(read_page, app, params, principal.tenant)
        if res.personal:
            filters = params.model_dump(mode="json", exclude_none=True)
            detail = {"filters": filters, "rows": len(rows)}
            await app.state.access_log.write(
                log_entry(principal, "read", res.table, request.scope["path"], detail)
            )
        answer = {"count": total, "count_exact": exact, "limit": params.limit}
        answer["offset"] = params.offset
        answer["next_after"] = _next_after(rows, params, columns)
        if columns is None:  # related rows: validated and serialised by the response model
            return {"data": rows, **answer}
        return _with(response, json_response({"data": records(columns, rows), **answer}))

    @router.get(
        "/{row_id}",
        response_model=Read,
        summary=f"Get one {res.label}",
        description=f"Requires `{res.read_scope}`.",
        name=f"get_{slug}",
        responses=error_responses(404),
        dependencies=cached,
    )
    async def get_row(
        row_id: IdPath,
        request: Request,
        response: Response,
        principal: Annotated[Principal, require(res.read_scope)],
    ) -> Any:
        app = request.app
        row = await run_in_threadpool(read_one, app, row_id, principal.tenant)
        if row is None:
            raise _not_found(res, row_id)
        if res.personal:
            await app.state.access_log.write(
                log_entry(principal, "read", res.table, request.scope["path"], {"id": row_id})
            )
        if columns is None:
            return row
        return _with(response, json_response(dict(zip(columns, row, strict=True))))

    @router.post(
        "",
        response_model=Read,
        status_code=201,
        summary=f"Create a {res.label}",
        description=f"Requires `{res.write_scope}`. The row joins the published data through "
        "the standing batch of manual API entries; the write is in the audit log.",
        name=f"create_{slug}",
        responses=error_responses(409),
    )
    def create_row(
        body: Create, session: SessionDep, principal: Annotated[Principal, require(res.write_scope)]
    ) -> Any:
        values = body.model_dump()
        if res.model is BiometricMeasurement:
            return _create_measurement(session, values, principal.actor)
        if res.prepare:
            values = res.prepare(values)
        row = res.model(**values)
        if res.lineage:
            set_lineage(session, row, values, principal.actor)
        session.add(row)
        session.flush()
        aggregates.rows_written(session, res.model, [getattr(row, "user_id", None)])
        audit(session, principal.actor, "create", res.table, row.id, None, row_dict(row))
        session.commit()
        return get_one(session, res.model, row.id, None, res.load) if res.load else row

    @router.patch(
        "/{row_id}",
        response_model=Read,
        summary=f"Change a {res.label}",
        description=f"Only the fields sent change. Requires `{res.write_scope}`; audited.",
        name=f"update_{slug}",
        responses=error_responses(404, 409),
    )
    def update_row(
        row_id: IdPath,
        body: Update,
        session: SessionDep,
        principal: Annotated[Principal, require(res.write_scope)],
    ) -> Any:
        row = get_one(session, res.model, row_id, principal.tenant, res.load)
        if row is None:
            raise _not_found(res, row_id)
        changes = body.model_dump(exclude_unset=True)
        table = res.model.__table__
        required = [k for k, v in changes.items() if v is None and not table.c[k].nullable]
        if required:
            raise HTTPException(status_code=422, detail=f"{', '.join(required)} cannot be null")
        if res.model is BiometricMeasurement:
            return _update_measurement(session, row, changes, principal)
        before = row_dict(row)
        if res.lineage:
            version_change(session, row, principal.actor, "update")
        for key, value in changes.items():
            setattr(row, key, value)
        session.flush()
        after = row_dict(row)
        changed = {k: after[k] for k in changes if before.get(k) != after[k]}
        # the aggregates the row feeds, for its user before and after (explicit: no ORM hook)
        moved = res.model is User and "organisation_id" in changed
        owners = [row_id] if res.model is User else [before.get("user_id"), after.get("user_id")]
        aggregates.rows_written(session, res.model, owners, moved=moved)
        audit(
            session,
            principal.actor,
            "update",
            res.table,
            row_id,
            {k: before[k] for k in changed},
            changed,
        )
        session.commit()
        return row

    @router.delete(
        "/{row_id}",
        status_code=204,
        summary=f"Delete a {res.label}",
        description=f"Requires `{res.delete_scope}`; audited. "
        + (
            "Erases the person and all their data (RGPD right to erasure): published, "
            "staged and quarantined rows, the values of the audit log's entries about them, "
            "their ids in the personal-data access log, and their records in the raw store "
            "and landing-zone files (rewritten with those records blanked). See "
            "docs/privacy.md."
            if res.model is User
            else "Refused with 409 while other rows reference it."
        ),
        name=f"delete_{slug}",
        responses=error_responses(404, 409),
        response_class=Response,
    )
    def delete_row(
        row_id: IdPath,
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal, require(res.delete_scope)],
    ) -> Response:
        row = get_one(session, res.model, row_id, principal.tenant, res.load)
        if row is None:
            raise _not_found(res, row_id)
        if res.model is User:
            # logged first: the erasure then clears the person's id from this entry too
            access.log_personal_access(
                session, principal, "erase", res.table, request.url.path, {"id": row_id}
            )
            erase_user(session, row_id, principal.actor, request.app.state.settings)
            session.commit()
            return Response(status_code=204)
        before = row_dict(row)
        if res.model is BiometricMeasurement:
            measurements.delete_measurement(session, row_id, principal.actor)
        else:
            if res.lineage:
                version_change(session, row, principal.actor, "delete")
            session.delete(row)
        try:
            session.flush()
        except IntegrityError as exc:
            session.rollback()
            raise HTTPException(
                status_code=409, detail=f"{res.label} {row_id} is still referenced by other rows"
            ) from exc
        if res.model is not BiometricMeasurement:  # measurements.delete_measurement did it
            aggregates.rows_written(session, res.model, [before.get("user_id")])
        audit(session, principal.actor, "delete", res.table, row_id, before, None)
        session.commit()
        return Response(status_code=204)

    return router


def _create_measurement(session: SessionDep, values: dict[str, Any], actor: str) -> Any:
    """Measurements are stored wide (healthai.pipeline.measurements): written there, read
    back through the long view."""
    try:
        new_id = measurements.create(session, manual_batch(session), values, actor)
        session.flush()
    except (measurements.KeyConflict, IntegrityError) as exc:
        session.rollback()
        raise HTTPException(status_code=409, detail=f"measurement not written: {exc}") from exc
    row = session.scalar(measurements.measurement(session, new_id))
    audit(session, actor, "create", "biometric_measurements", new_id, None, row_dict(row))
    session.commit()
    return row


def _update_measurement(
    session: SessionDep, row: Any, changes: dict[str, Any], principal: Principal
) -> Any:
    before = row_dict(row)
    try:
        new_id = measurements.change(
            session, manual_batch(session), row.id, changes, principal.actor
        )
        session.flush()
    except (measurements.KeyConflict, IntegrityError) as exc:
        session.rollback()
        raise HTTPException(status_code=409, detail=f"measurement not changed: {exc}") from exc
    session.expire_all()
    after_row = session.scalar(measurements.measurement(session, new_id))
    after = row_dict(after_row)
    changed = {k: after[k] for k in changes if before.get(k) != after[k]}
    audit(
        session,
        principal.actor,
        "update",
        "biometric_measurements",
        row.id,
        {k: before[k] for k in changed},
        changed,
    )
    session.commit()
    return after_row


routers = [build_router(r) for r in RESOURCES]
