"""Sign-in to the web interface with the platform's accounts, through the shared access policy
(`healthai.access`): the same rate limits, password check, tokens and roles as the API. The
signed access token is kept in an HttpOnly cookie read by every page; a partner sees only its
organisation (`Principal.tenant`). Signing out ends the token's session, not only the cookie
(`healthai.access.sign_out`): a kept copy of the cookie, or the same token sent to the API, is
refused from then on; the person's other sessions go on."""

from __future__ import annotations

from typing import Any

import panel as pn
import tornado.web
from sqlalchemy.orm import Session

from healthai import access
from healthai.access import Principal
from healthai.db import get_engine, unavailable
from healthai.settings import get_settings

COOKIE = "healthai_dashboard"
DashUser = Principal  # the web interface's signed-in user is the access policy's principal
RETRY_AFTER_S = 5


def user_from_token(token: str | None) -> Principal | None:
    """The active account the cookie's token was issued to, or None."""
    if not token:
        return None
    with Session(get_engine()) as session:
        try:
            return access.authenticate_token(session, get_settings(), token)
        except access.NotAuthenticated:
            return None


def current_user() -> Principal | None:
    cookies = pn.state.cookies or {}
    return user_from_token(cookies.get(COOKIE))


def safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/vue-ensemble"
    return value


class LoginHandler(tornado.web.RequestHandler):
    """GET: the sign-in page (plain accessible HTML); POST: check, set the cookie, redirect."""

    def _page(self, error: str | None = None, status: int = 200) -> None:
        from dashboard.shell import render_login

        lang = self.get_argument("lang", "fr")
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        # after a refused sign-in the username stays typed (only the password is asked again)
        username = self.get_argument("username", "")[:150] if error else ""
        self.write(render_login(lang, self.get_argument("next", ""), error, username))

    def get(self) -> None:
        self._page()

    def post(self) -> None:
        settings = get_settings()
        client = access.client_address(
            settings, self.request.remote_ip, self.request.headers.get("X-Forwarded-For")
        )
        username = self.get_argument("username", "")
        password = self.get_argument("password", "")
        try:
            with Session(get_engine()) as session:
                account = access.sign_in(session, settings, username, password, client)
        except access.RateLimited as exc:
            self.set_header("Retry-After", str(int(exc.wait_s) + 1))
            self._page("too_many_logins", status=429)
            return
        except access.BadCredentials:
            self._page("bad_login")
            return
        except Exception as exc:
            if not unavailable(exc):
                raise
            self.set_header("Retry-After", str(RETRY_AFTER_S))
            self._page("db_busy", status=503)
            return
        token = access.access_token(settings, account)
        self.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/")
        self.redirect(safe_next(self.get_argument("next", "")))

    def check_xsrf_cookie(self) -> None:  # SameSite=Lax cookie; no state change before sign-in
        return None


class LogoutHandler(tornado.web.RequestHandler):
    """POST: end the cookie's session everywhere (web interface and API), clear the cookie,
    back to the sign-in page. A cookie that is missing, forged, expired or already signed out
    revokes nothing and signs out just the same."""

    def post(self) -> None:
        try:
            with Session(get_engine()) as session:
                access.sign_out(session, get_settings(), self.get_cookie(COOKIE))
        except Exception as exc:
            if not unavailable(exc):
                raise
            # the session could not be ended: keep the cookie, so that signing out again works
            from dashboard.shell import render_login

            self.set_status(503)
            self.set_header("Retry-After", str(RETRY_AFTER_S))
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.write(render_login(self.get_argument("lang", "fr"), "", "db_busy", ""))
            return
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
