"""The page shell: our own Jinja template (lang, per-page title, skip link, landmarks, one h1,
light-DOM live region), navigation as real links, language switch, signed-in account."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import panel as pn

from dashboard.auth import COOKIE, DashUser, current_user
from dashboard.components import Announcer, notice
from dashboard.i18n import LANGS, t
from healthai.db import unavailable

TEMPLATES = Path(__file__).parent / "templates"
SITE_CSS = (TEMPLATES / "site.css").read_text(encoding="utf-8")
PAGE_TEMPLATE = (TEMPLATES / "page.html").read_text(encoding="utf-8")

# slug -> i18n key; the order is the navigation's order.
PAGES: dict[str, str] = {
    "vue-ensemble": "overview",
    "utilisateurs": "users",
    "nutrition": "nutrition",
    "activite": "fitness",
    "commercial": "business",
    "qualite": "quality",
    "validation": "review",
    "corrections": "corrections",
    "export": "export",
    "accessibilite": "accessibilite",
}
PUBLIC = {"accessibilite"}
# The API scope a page needs (same roles, same meaning as the API's).
REQUIRED: dict[str, str] = {
    "vue-ensemble": "analytics:read",
    "utilisateurs": "analytics:read",
    "nutrition": "analytics:read",
    "activite": "analytics:read",
    "commercial": "analytics:read",
    "qualite": "batches:read",
    "validation": "batches:read",
    "corrections": "quarantine:read",
    "export": "exports:read",
}


@dataclass
class Context:
    lang: str
    user: DashUser | None
    announcer: Announcer
    slug: str
    extras: dict[str, Any] = field(default_factory=dict)

    def t(self, key: str, **kwargs: object) -> str:
        return t(key, self.lang, **kwargs)

    def say(self, text: str) -> None:
        self.announcer.say(text)


def href(slug: str, lang: str) -> str:
    return f"/{slug}" + ("?lang=en" if lang == "en" else "")


def _lang() -> str:
    args = pn.state.session_args or {}
    raw = (args.get("lang") or [b"fr"])[0]
    value = raw.decode() if isinstance(raw, bytes) else str(raw)
    return value if value in LANGS else "fr"


def page_title(key: str, lang: str) -> str:
    return f"{t(key, lang)} – {t('app', lang)}"


def _account_html(user: DashUser | None, lang: str, slug: str) -> str:
    if user is None:
        q = urlencode({"next": href(slug, lang), **({"lang": "en"} if lang == "en" else {})})
        return f'<a href="/connexion?{q}">{escape(t("sign_in", lang))}</a>'
    who = escape(t("signed_in_as", lang, user=user.username, role=user.role))
    return (
        f'{who} <form method="post" action="/deconnexion">'
        f'<button type="submit">{escape(t("sign_out", lang))}</button></form>'
    )


def visible_pages(user: DashUser | None) -> list[str]:
    """The pages the navigation offers: signed out, every page (each asks for a sign-in);
    signed in, only those the account's role may open (a partner sees no link it cannot use)."""
    if user is None:
        return list(PAGES)
    return [s for s in PAGES if s not in REQUIRED or user.can(REQUIRED[s])]


def _common(lang: str, slug: str, key: str, user: DashUser | None = None) -> dict[str, Any]:
    other = t("switch_lang", lang)
    shown = visible_pages(user)
    return {
        "lang": lang,
        "page_title": page_title(key, lang),
        "site_css": SITE_CSS,
        "skip_label": t("skip", lang),
        "app_name": t("app", lang),
        "home_href": href("vue-ensemble", lang),
        "switch_href": f"/{slug}" + ("?lang=en" if other == "en" else "?lang=fr"),
        "switch_lang": other,
        "switch_label": t("switch", lang),
        "nav_label": t("nav", lang),
        "nav_items": [
            {"href": href(s, lang), "label": t(k, lang), "current": s == slug}
            for s, k in PAGES.items()
            if s in shown
        ],
        "heading": t(key, lang),
        "footer_text": t("footer", lang),
        "a11y_href": href("accessibilite", lang),
        "a11y_label": t("accessibilite", lang),
    }


def _session_vars(user: DashUser | None, lang: str, slug: str) -> dict[str, Any]:
    """What the page's session-expiry script needs (nothing when signed out)."""
    from datetime import UTC, datetime

    from dashboard import session

    ends = session.expiry((pn.state.cookies or {}).get(COOKIE)) if user else None
    if ends is None:
        return {"session_expires": ""}
    signin = "/connexion?" + urlencode(
        {"next": href(slug, lang), **({"lang": "en"} if lang == "en" else {})}
    )
    return {
        "session_expires": int(ends.timestamp()),
        "session_now": int(datetime.now(UTC).timestamp()),
        "session_warning": session.warning_seconds(),
        "session_path": session.PATH,
        "session_texts": {
            "warning": t("session_warning", lang),
            "extend": t("session_extend", lang),
            "extending": t("session_extending", lang),
            "extended": t("session_extended", lang),
            "ended": t("session_ended", lang),
            "signin": signin,
            "signin_label": t("sign_in", lang),
        },
    }


def build_page(slug: str, build: Callable[[Context], Any]) -> pn.Template:
    """One page for one session: the template, the page's content, and the announcer."""
    key = PAGES[slug]
    lang = _lang()
    busy = False
    try:
        user = current_user()
    except Exception as exc:
        if not unavailable(exc):
            raise
        user, busy = None, True  # the database cannot answer now: say so, not "sign in"
    announcer = Announcer()
    ctx = Context(lang=lang, user=user, announcer=announcer, slug=slug)
    if busy:
        content: Any = notice(t("db_busy", lang), error=True)
    elif user is None and slug not in PUBLIC:
        content = notice(t("need_sign_in", lang))
        link = pn.pane.HTML(
            f'<p><a href="/connexion?{urlencode({"next": href(slug, lang)})}">'
            f"{escape(t('sign_in', lang))}</a></p>"
        )
        content = pn.Column(content, link, sizing_mode="stretch_width")
    elif user is not None and slug in REQUIRED and not user.can(REQUIRED[slug]):
        content = notice(t("forbidden", lang, role=user.role))
    else:
        try:
            content = build(ctx)
        except Exception as exc:  # noqa: BLE001 - show the failure to the user, log it for us
            if unavailable(exc):
                content = notice(t("db_busy", lang), error=True)
            else:
                traceback.print_exc()
                content = notice("Erreur interne / internal error", error=True)
    main = pn.Column(announcer, content, sizing_mode="stretch_width")
    tmpl = pn.Template(PAGE_TEMPLATE)
    tmpl.add_panel("main", main)
    for name, value in _common(lang, slug, key, user).items():
        tmpl.add_variable(name, value)
    for name, value in _session_vars(user, lang, slug).items():
        tmpl.add_variable(name, value)
    account = _account_html(user, lang, slug)
    tmpl.add_variable("account_html", jinja2.utils.markupsafe.Markup(account))
    return tmpl


LOGIN_TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    (TEMPLATES / "login.html").read_text(encoding="utf-8")
)


def render_login(lang: str, next_url: str, error: str | None = None, username: str = "") -> str:
    """The sign-in page; `error` is the i18n key of the message to show (bad_login,
    too_many_logins, db_busy), None for none; `username` stays typed after a refusal."""
    lang = lang if lang in LANGS else "fr"
    values = _common(lang, "vue-ensemble", "connexion")
    for item in values["nav_items"]:
        item["current"] = False
    return LOGIN_TEMPLATE.render(
        **values,
        next=next_url,
        username=username,
        error=error is not None,
        error_text=t(error, lang) if error else "",
        intro=t("signin_intro", lang),
        username_label=t("username", lang),
        password_label=t("password", lang),
        submit=t("sign_in", lang),
    )
