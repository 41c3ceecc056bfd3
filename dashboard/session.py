"""Session expiry, said before it happens and extendable (WCAG 2.2.1, RGAA 13.1): every signed-in
page knows when its session ends; `DASHBOARD_SESSION_WARNING_SECONDS` (120 s by default) before
that, the page says so in an alert with a "Prolonger la session" button, which asks
`POST /session/prolonger` for a fresh session (a new signed token in the same HttpOnly cookie,
for an account still active). Without an extension, the page says the session has ended and
links to the sign-in page, back to where the person was."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import tornado.web
from sqlalchemy.orm import Session

from dashboard.auth import COOKIE
from healthai import access
from healthai.db import get_engine
from healthai.settings import get_settings

PATH = "/session/prolonger"
HEADER = "X-HealthAI-Session"


def warning_seconds() -> int:
    return max(20, int(os.environ.get("DASHBOARD_SESSION_WARNING_SECONDS", "120")))


def expiry(token: str | None) -> datetime | None:
    """When the session carried by `token` ends (None: not a valid session)."""
    return access.session_expiry(get_settings(), token)


def extend(token: str | None) -> tuple[str, datetime] | None:
    """A fresh session token for the same, still active account whose sessions were not
    revoked since (`healthai.access.extend_session`), or None."""
    if not token:
        return None
    with Session(get_engine()) as session:
        return access.extend_session(session, get_settings(), token)


class ExtendHandler(tornado.web.RequestHandler):
    """POST only, from the page's own script: a custom header (a cross-site form cannot send
    one, and a cross-site script would need a CORS permission it never gets) and, when the
    browser sends it, an Origin equal to this host."""

    def post(self) -> None:
        origin = self.request.headers.get("Origin")
        if self.request.headers.get(HEADER) != "1" or (
            origin and origin.split("://", 1)[-1] != self.request.host
        ):
            raise tornado.web.HTTPError(403)
        fresh = extend(self.get_cookie(COOKIE))
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        if fresh is None:
            self.set_status(401)
            self.write(json.dumps({"expires": None}))
            return
        token, expires = fresh
        self.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/")
        now = datetime.now(UTC)
        self.write(json.dumps({"expires": expires.timestamp(), "now": now.timestamp()}))

    def check_xsrf_cookie(self) -> None:  # the custom header and Origin check above
        return None


def patterns() -> list[tuple[str, Any]]:
    return [(PATH, ExtendHandler)]
