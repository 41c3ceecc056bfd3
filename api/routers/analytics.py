"""Analytics over the published data; a partner gets its own members' figures only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from api import caching
from api.deps import ReadSessionDep, require
from api.errors import error_responses
from api.schemas import analytics as a
from api.schemas.common import IsoDate, IsoDateTime
from healthai.access import Principal
from healthai.models.vocab import METRICS
from healthai.quality import read as quality_read
from healthai.queries import analytics as q

router = APIRouter(
    prefix="/analytics", tags=["analytics"], responses=error_responses(401, 403, 422)
)
READ = "analytics:read"
Caller = Annotated[Principal, require(READ)]
# answers from the published data: ETag/Last-Modified of the dataset version, 304 (api.caching)
CACHED = [caching.scoped(READ)]
OrgParam = Annotated[
    int | None,
    Query(
        ge=1,
        le=2_147_483_647,
        description="Only this organisation's members (a partner always gets only its own).",
    ),
]
DateFrom = Annotated[
    IsoDate | None,
    Query(
        description="Period start (inclusive, YYYY-MM-DD): only facts of this day or later "
        "count. A start after `date_to` is an empty period (no facts count)."
    ),
]
DateTo = Annotated[
    IsoDate | None,
    Query(
        description="Period end (inclusive, YYYY-MM-DD): only facts of this day or earlier count."
    ),
]
Since = Annotated[IsoDate | None, Query(deprecated=True, description="Former name of `date_from`.")]
Until = Annotated[IsoDate | None, Query(deprecated=True, description="Former name of `date_to`.")]


def _period(date_from: date | None, date_to: date | None) -> tuple[date | None, date | None]:
    """The period as given: one whose start is after its end is empty (every figure over no
    facts), not an error."""
    return date_from, date_to


@router.get(
    "/users/age-distribution",
    response_model=list[a.AgeBand],
    summary="Users per age band",
    dependencies=CACHED,
)
def age_distribution(
    session: ReadSessionDep, principal: Caller, organisation_id: OrgParam = None
) -> Any:
    """Users per age band (age = this year minus birth year).
    Requires `analytics:read`."""
    return q.age_distribution(session, principal.organisation_scope(organisation_id))


@router.get(
    "/users/goals",
    response_model=list[a.GoalCount],
    summary="Users per goal",
    dependencies=CACHED,
)
def goals(session: ReadSessionDep, principal: Caller, organisation_id: OrgParam = None) -> Any:
    """Users per declared goal.
    Requires `analytics:read`."""
    return q.goals(session, principal.organisation_scope(organisation_id))


@router.get(
    "/users/progression",
    response_model=a.Progression,
    summary="Progression rate",
    description="Change of a biometric metric between users' first and last "
    "measurement (of the period, when one is given), overall and per week.",
    dependencies=CACHED,
)
def progression(
    session: ReadSessionDep,
    principal: Caller,
    metric: Annotated[Literal[tuple(METRICS)], Query()] = "weight_kg",  # type: ignore[valid-type]
    organisation_id: OrgParam = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Any:
    return q.progression(
        session, metric, principal.organisation_scope(organisation_id), *_period(date_from, date_to)
    )


@router.get(
    "/nutrition/trends",
    response_model=list[a.NutritionDay],
    summary="Daily nutrition trends",
    description="Per day, the mean daily intake of users who logged meals.",
    dependencies=CACHED,
)
def nutrition_trends(
    session: ReadSessionDep,
    principal: Caller,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    organisation_id: OrgParam = None,
    since: Since = None,
    until: Until = None,
) -> Any:
    return q.nutrition_trends(
        session,
        principal.organisation_scope(organisation_id),
        *_period(date_from or since, date_to or until),
    )


@router.get(
    "/nutrition/reference-gaps",
    response_model=list[a.ReferenceGap],
    summary="Deficits and excesses against reference intakes",
    description="Per profile (sex x goal) and nutrient, users whose mean daily intake "
    "is below 80 % (deficit) or above 120 % (excess; above 100 % for upper limits) of "
    "the reference intake for their sex.",
    dependencies=CACHED,
)
def reference_gaps(
    session: ReadSessionDep,
    principal: Caller,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    organisation_id: OrgParam = None,
    since: Since = None,
    until: Until = None,
) -> Any:
    return q.nutrition_vs_reference(
        session,
        principal.organisation_scope(organisation_id),
        *_period(date_from or since, date_to or until),
    )


@router.get(
    "/fitness/top-workouts",
    response_model=list[a.WorkoutCount],
    summary="Most practised workout types",
    dependencies=CACHED,
)
def top_workouts(
    session: ReadSessionDep,
    principal: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    organisation_id: OrgParam = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Any:
    """Workout types by number of sessions, with users and total minutes.
    Requires `analytics:read`."""
    return q.top_workouts(
        session, principal.organisation_scope(organisation_id), limit, *_period(date_from, date_to)
    )


@router.get(
    "/fitness/intensity",
    response_model=list[a.IntensityCount],
    summary="Sessions per intensity level",
    dependencies=CACHED,
)
def intensity(
    session: ReadSessionDep,
    principal: Caller,
    organisation_id: OrgParam = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Any:
    """Workout sessions per intensity level.
    Requires `analytics:read`."""
    return q.intensity_levels(
        session, principal.organisation_scope(organisation_id), *_period(date_from, date_to)
    )


@router.get(
    "/business/engagement",
    response_model=a.Engagement,
    summary="DAU, WAU, MAU and retention",
    description="Distinct active users over 1, 7 and 30 days up to `as_of` (default: "
    "the latest app session), stickiness and 7/30-day retention; with a period, only the "
    "sessions started on its days count.",
    dependencies=CACHED,
)
def engagement(
    session: ReadSessionDep,
    principal: Caller,
    as_of: Annotated[
        IsoDateTime | None, Query(description="RFC 3339 date-time, e.g. 2026-01-31T00:00:00Z.")
    ] = None,
    organisation_id: OrgParam = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Any:
    return q.engagement(
        session, principal.organisation_scope(organisation_id), as_of, *_period(date_from, date_to)
    )


@router.get(
    "/business/conversion",
    response_model=a.Conversion,
    summary="Premium conversion",
    dependencies=CACHED,
)
def conversion(
    session: ReadSessionDep,
    principal: Caller,
    organisation_id: OrgParam = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Any:
    """Users per plan (today's plans), premium share, and the share of free users who later
    paid (with a period: among plan periods started on its days).
    Requires `analytics:read`."""
    return q.premium_conversion(
        session, principal.organisation_scope(organisation_id), *_period(date_from, date_to)
    )


@router.get(
    "/business/satisfaction",
    response_model=a.Satisfaction,
    summary="Satisfaction and NPS",
    dependencies=CACHED,
)
def satisfaction(
    session: ReadSessionDep,
    principal: Caller,
    organisation_id: OrgParam = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Any:
    """Answers, mean score (0-10) and Net Promoter Score (with a period: answers given on
    its days).
    Requires `analytics:read`."""
    return q.satisfaction(
        session, principal.organisation_scope(organisation_id), *_period(date_from, date_to)
    )


@router.get(
    "/quality",
    response_model=a.Quality,
    summary="Data quality",
    description="Batches per status and quarantined rows per source. Requires "
    "`batches:read` (not for partners).",
)
def quality(
    session: ReadSessionDep, principal: Annotated[Principal, require("batches:read")]
) -> Any:
    return q.quality(session)


SourceName = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,60}$", description="Source name.")]


@router.get(
    "/quality/sources",
    response_model=list[a.QualitySnapshotRead],
    summary="Quality score of every source",
    description="The latest quality snapshot of every measured source: score, dimensions "
    "(completeness, validity, uniqueness, consistency, freshness, volume, backlog), staleness "
    "and alerts. Requires `batches:read`.",
)
def quality_sources(
    session: ReadSessionDep, principal: Annotated[Principal, require("batches:read")]
) -> Any:
    return quality_read.latest(session)


@router.get(
    "/quality/sources/{source}",
    response_model=a.QualitySourceDetail,
    summary="Quality of one source",
    description="The latest snapshot of one source with its detailed metrics. 404 when the "
    "source was never measured. Requires `batches:read`.",
    responses=error_responses(404),
)
def quality_source(
    source: SourceName,
    session: ReadSessionDep,
    principal: Annotated[Principal, require("batches:read")],
) -> Any:
    snapshot = quality_read.latest_for(session, source)
    if snapshot is None:
        raise HTTPException(status_code=404, detail=f"source {source!r} was never measured")
    return snapshot


@router.get(
    "/quality/sources/{source}/history",
    response_model=list[a.QualitySnapshotRead],
    summary="Quality history of one source",
    description="Snapshots of one source, oldest first. Requires `batches:read`.",
)
def quality_history(
    source: SourceName,
    session: ReadSessionDep,
    principal: Annotated[Principal, require("batches:read")],
    since: Annotated[
        IsoDateTime | None,
        Query(description="Only snapshots taken at or after this RFC 3339 date-time."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    return quality_read.history(session, source, since, limit)
