"""HTTP caching of the answers that derive from the published data (RFC 9110/9111).

The validators are the dataset version (healthai.pipeline.versions: one integer, bumped in
the transaction of every publication, rollback, correction, erasure and API write): the
`ETag` is that version with what else the answer depends on (the caller's scope: a partner
sees its members only; the UTC day for answers computed against today; the API's own answer
shapes), `Last-Modified` the version's time. A conditional GET whose `If-None-Match` (or, without
it, `If-Modified-Since`) still matches is answered `304 Not Modified` after authentication and
one primary-key read, before any query of the answer runs.

Cache-Control by audience (`Vary: Authorization, X-API-Key` on all of them):
- `CATALOGUE` (foods, recipes, exercises: the same for every caller allowed to read them):
  `public, no-cache`: a shared cache may keep it but must ask again each time, so the
  caller's credentials are checked at every use (a 304 costs almost nothing);
- `SCOPED` (analytics: figures of the caller's organisation or of everyone):
  `private, no-cache`: only the caller's own cache keeps it, revalidated at each use;
- `PERSONAL` (people, their logs and measurements): `no-store`, never kept anywhere, no
  validators (each read is a logged 200).
"""

# no `from __future__ import annotations`: FastAPI reads the dependencies' annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import require
from healthai.access import Principal
from healthai.models import DatasetVersion

VARY = "Authorization, X-API-Key"


@dataclass(frozen=True)
class Audience:
    name: str
    cache_control: str
    validators: bool  # ETag and Last-Modified from the dataset version
    daily: bool = False  # the answer also depends on today's date


CATALOGUE = Audience("catalogue", "public, no-cache", True)
SCOPED = Audience("scoped", "private, no-cache", True, daily=True)
PERSONAL = Audience("personal", "no-store", False)


class NotModified(Exception):
    """Raised by `conditional` when the client's copy is current: answered 304."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


def latest_version(session: Session) -> tuple[int, datetime | None]:
    """The current dataset version and when it was made ((0, None) before any)."""
    row = session.execute(
        select(DatasetVersion.version, DatasetVersion.at)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    ).first()
    return (int(row[0]), row[1]) if row else (0, None)


def _read_version(request: Request) -> tuple[int, datetime | None]:
    with request.app.state.read_sessions() as session:
        return latest_version(session)


def _answers_fingerprint(request: Request) -> str:
    """What changes with the API's answer shapes (a deployment of other answers must not be
    validated by an ETag of the former ones): the OpenAPI document, once per process."""
    app = request.app
    found = getattr(app.state, "answers_fingerprint", None)
    if found is None:
        spec = repr(app.openapi()).encode()
        found = hashlib.sha256(spec).hexdigest()[:8]
        app.state.answers_fingerprint = found
    return found


def etag(request: Request, audience: Audience, version: int, scope: Any) -> str:
    parts = [str(version), audience.name, repr(scope), _answers_fingerprint(request)]
    if audience.daily:
        parts.append(datetime.now(UTC).date().isoformat())
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return f'"v{version}-{digest}"'


def _matches(if_none_match: str, tag: str) -> bool:
    candidates = [t.strip() for t in if_none_match.split(",")]
    # weak comparison (RFC 9110 13.1.2): W/"x" matches "x"
    return "*" in candidates or any(t.removeprefix("W/") == tag for t in candidates)


def _not_modified_since(value: str, at: datetime | None) -> bool:
    if at is None:
        return False
    try:
        since = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.replace(microsecond=0) <= since


def headers_for(audience: Audience) -> dict[str, str]:
    return {"Cache-Control": audience.cache_control, "Vary": VARY}


async def conditional(request: Request, response: Response, audience: Audience, scope: Any) -> None:
    """Set the cache headers of `audience` on the answer; raise NotModified when the request's
    preconditions say the client's copy is current."""
    headers = headers_for(audience)
    if audience.validators:
        version, at = await run_in_threadpool(_read_version, request)
        headers["ETag"] = etag(request, audience, version, scope)
        if at is not None:
            aware = at if at.tzinfo else at.replace(tzinfo=UTC)
            headers["Last-Modified"] = format_datetime(aware.astimezone(UTC), usegmt=True)
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        if (inm is not None and _matches(inm, headers["ETag"])) or (
            inm is None and ims is not None and _not_modified_since(ims, at)
        ):
            raise NotModified(headers)
    response.headers.update(headers)


def install(app: FastAPI) -> None:
    """Answer NotModified with an empty 304 carrying the validators and Cache-Control."""

    @app.exception_handler(NotModified)
    async def _not_modified(_request: Request, exc: NotModified) -> Response:
        return Response(status_code=304, headers=exc.headers)


def scoped(read_scope: str) -> Any:
    """A route dependency for answers of the caller's scope (analytics): SCOPED headers, and
    304 when the client's copy is current. The ETag's scope is the caller's tenant (a partner
    sees its members only); the rest of what the answer depends on is in its URL."""

    async def dependency(
        request: Request,
        response: Response,
        principal: Annotated[Principal, require(read_scope)],
    ) -> None:
        await conditional(request, response, SCOPED, principal.tenant)

    return Depends(dependency)


def for_resource(read_scope: str, personal: bool) -> Any:
    """A route dependency of a resource's reads: CATALOGUE validators and 304 for the
    catalogues, `no-store` for personal data, nothing for the others. The headers are set on
    the route's `Response` parameter (copy them onto an answer the route builds itself)."""

    async def dependency(
        request: Request,
        response: Response,
        _principal: Annotated[Principal, require(read_scope)],
    ) -> None:
        if read_scope == "catalogue:read":
            await conditional(request, response, CATALOGUE, None)
        elif personal:
            response.headers.update(headers_for(PERSONAL))

    return Depends(dependency)
