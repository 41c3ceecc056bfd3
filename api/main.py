"""The FastAPI application: `create_app()` builds it from settings; `app` is what uvicorn
serves (`uvicorn api.main:app`), built on first use. It refuses to start without usable
secrets (`healthai.access.check_secrets`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import caching, documentation, errors
from api.limits import RequestLimits
from api.routers import accounts, auth, health, resources
from healthai.access import check_secrets
from healthai.access.cache import AuthCache, register
from healthai.access.log_writer import AccessLogWriter
from healthai.db import make_engine, reading, session_factory
from healthai.settings import Settings, get_settings

DESCRIPTION = """
The HealthAI Coach data platform's REST API: the consolidated, audited data for the mobile and
web front ends, partners, internal teams and AI services.

**Authentication**: OAuth2 password flow (`POST /auth/token`) giving a short-lived JWT bearer
access token and a rotating refresh token; machine clients send an API key in `X-API-Key`.

**Roles** (each maps to scopes; every route states the scope it needs, default deny):
`admin` (everything), `steward` (approves batches, corrects quarantine, edits data),
`analyst` (reads catalogues, analytics, pseudonymised exports), `partner` (a B2B organisation:
only its own members).

**Errors** are RFC 9457 `application/problem+json` documents.
"""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The documentation pages (Swagger UI, ReDoc) load their scripts and styles from DOCS_STATIC,
# files of the fastapi-offline package: nothing from another host (ReDoc's search runs in a
# worker it starts from a blob).
DOCS_STATIC = "/docs/static"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)


DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


class SecurityHeaders:
    """The security headers on every response. Pure ASGI: Starlette's BaseHTTPMiddleware runs
    each request through an extra task and memory stream, a measurable cost per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in DOCS_PATHS or scope["path"].startswith(DOCS_STATIC + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else API_CSP)
                if not docs:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _unique_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_secrets(settings)
    engine = engine or make_engine(
        settings.database_url, settings.db_pool_size, settings.db_max_overflow
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.access_log.close()  # entries still queued are written before exit

    app = FastAPIOffline(
        lifespan=lifespan,
        title="HealthAI Coach API",
        version="1.0.0",
        description=DESCRIPTION,
        generate_unique_id_function=_unique_id,
        static_url=DOCS_STATIC,
        # no call to the public validator (validator.swagger.io)
        swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    # reads that change nothing: no transaction, prepared statements kept (healthai.db.reading),
    # on the read replica when there is one
    replica = settings.database_read_url
    app.state.read_engine = reading(
        make_engine(replica, settings.db_pool_size, settings.db_max_overflow) if replica else engine
    )
    app.state.read_sessions = session_factory(app.state.read_engine)
    app.state.auth_cache = register(AuthCache(settings.auth_cache_ttl_s))
    app.state.access_log = AccessLogWriter(engine)
    errors.install(app)
    caching.install(app)  # 304 Not Modified (api.caching)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_request_body_bytes,
        max_header_bytes=settings.max_request_header_bytes,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        allow_credentials=False,
    )
    app.include_router(health.router)
    app.include_router(auth.router)
    for router in resources.routers:
        app.include_router(router)
    _include_optional(app)
    app.include_router(accounts.router)
    documentation.install(app)
    return app


def _include_optional(app: FastAPI) -> None:
    from api.routers import analytics, batches, exports, files, quarantine

    for module in (batches, files, quarantine, exports, analytics):
        app.include_router(module.router)


def __getattr__(name: str) -> FastAPI:
    """`api.main.app`, built from the settings the first time it is asked for (by uvicorn),
    not when the module is imported (tests and tools build their own)."""
    if name != "app":
        raise AttributeError(name)
    app = create_app()
    globals()["app"] = app
    return app
