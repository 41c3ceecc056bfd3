"""Sign-in with the API's accounts: the same Argon2 verification and the same signed JWT
(api.security), kept in an HttpOnly cookie read by every dashboard page. Roles mean the same
as in the API (scopes from api.security.ROLE_SCOPES; a partner sees only its organisation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import panel as pn
import tornado.web
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.security import ROLE_SCOPES, create_token, decode_token, verify_password
from healthai import ratelimit
from healthai.db import get_engine, session_scope
from healthai.models.accounts import ApiAccount
from healthai.settings import get_settings

COOKIE = "healthai_dashboard"


@dataclass(frozen=True)
class DashUser:
    id: int
    username: str
    role: str
    organisation_id: int | None

    @property
    def scopes(self) -> frozenset[str]:
        return ROLE_SCOPES.get(self.role, frozenset())

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def tenant(self) -> int | None:
        return self.organisation_id if self.role == "partner" else None


def user_from_token(token: str | None) -> DashUser | None:
    if not token:
        return None
    claims = decode_token(get_settings(), token)
    if not claims:
        return None
    with session_scope(get_engine()) as session:
        account = session.get(ApiAccount, int(claims["sub"]))
        if account is None or not account.is_active:
            return None
        return DashUser(account.id, account.username, account.role, account.organisation_id)


def current_user() -> DashUser | None:
    cookies = pn.state.cookies or {}
    return user_from_token(cookies.get(COOKIE))


def authenticate(username: str, password: str) -> str | None:
    """A signed access token for valid credentials of an active account, else None."""
    with session_scope(get_engine()) as session:
        account = session.scalar(select(ApiAccount).where(ApiAccount.username == username))
        ok = verify_password(password, account.password_hash if account else None)
        if not ok or account is None or not account.is_active:
            return None
        token, _jti, _exp = create_token(get_settings(), account.id, account.role)
        return token


def safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/vue-ensemble"
    return value


class LoginHandler(tornado.web.RequestHandler):
    """GET: the sign-in page (plain accessible HTML); POST: check, set the cookie, redirect."""

    def _page(self, error: bool = False, status: int = 200, limited: bool = False) -> None:
        from dashboard.shell import render_login

        lang = self.get_argument("lang", "fr")
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        # after a refused sign-in the username stays typed (only the password is asked again)
        username = self.get_argument("username", "")[:150] if error else ""
        self.write(render_login(lang, self.get_argument("next", ""), error, limited, username))

    def get(self) -> None:
        self._page()

    def post(self) -> None:
        username = self.get_argument("username", "")
        settings = get_settings()
        key = ratelimit.attempt_key(settings, self.request.remote_ip or "unknown", username)
        with Session(get_engine()) as session:  # the API's limit (hit commits its own work)
            wait = ratelimit.hit(session, settings, key)
        if wait is not None:
            self.set_header("Retry-After", str(int(wait) + 1))
            self._page(error=True, status=429, limited=True)
            return
        token = authenticate(username, self.get_argument("password", ""))
        if token is None:
            self._page(error=True)
            return
        with session_scope(get_engine()) as session:
            ratelimit.clear(session, key)
        self.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/")
        self.redirect(safe_next(self.get_argument("next", "")))

    def check_xsrf_cookie(self) -> None:  # SameSite=Lax cookie; no state change before sign-in
        return None


class LogoutHandler(tornado.web.RequestHandler):
    def post(self) -> None:
        self.clear_cookie(COOKIE, path="/")
        self.redirect("/connexion")

    def check_xsrf_cookie(self) -> None:
        return None


def extra_patterns() -> list[tuple[str, Any, dict[str, Any]] | tuple[str, Any]]:
    return [
        (r"/connexion", LoginHandler),
        (r"/deconnexion", LogoutHandler),
        (r"/", tornado.web.RedirectHandler, {"url": "/vue-ensemble"}),
    ]
