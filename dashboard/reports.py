"""The profiling reports (ydata-profiling HTML, a technical annex in English) served to signed-in
accounts that may read the quality figures: `/rapports-profilage/` lists them on an
accessible page of our own (French, landmarks, one h1), `/rapports-profilage/<name>.html`
answers one report. Nothing else of the reports folder is served."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import tornado.web

from dashboard.auth import COOKIE, user_from_token
from dashboard.i18n import LANGS, t
from healthai.settings import get_settings

PATH = "/rapports-profilage"


def reports(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.html") if p.is_file())


class _Guarded(tornado.web.RequestHandler):
    def _allowed(self) -> None:
        user = user_from_token(self.get_cookie(COOKIE))
        if user is None:
            self.redirect(f"/connexion?next={PATH}/")
            raise tornado.web.Finish()
        if not user.can("batches:read"):
            raise tornado.web.HTTPError(403)


class IndexHandler(_Guarded):
    def get(self) -> None:
        self._allowed()
        lang = self.get_argument("lang", "fr")
        lang = lang if lang in LANGS else "fr"
        from dashboard.shell import SITE_CSS

        files = reports(get_settings().reports_dir)
        items = "".join(
            f'<li><a href="{PATH}/{escape(p.name)}" hreflang="en">{escape(p.stem)}</a></li>'
            for p in files
        )
        body = f"<ul>{items}</ul>" if files else f"<p>{escape(t('profiles_none', lang))}</p>"
        back = "/qualite" + ("?lang=en" if lang == "en" else "")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(t('profiles_title', lang))} – {escape(t('app', lang))}</title>"
            f"<style>{SITE_CSS}</style></head><body>"
            f'<a class="skip-link" href="#contenu">{escape(t("skip", lang))}</a>'
            f'<header class="site-header"><p class="brand"><a href="{back}">'
            f"{escape(t('app', lang))}</a></p></header>"
            f'<main id="contenu" tabindex="-1"><h1>{escape(t("profiles_title", lang))}</h1>'
            f"<p>{escape(t('profiles_intro', lang))}</p>{body}"
            f'<p><a href="{back}">{escape(t("profiles_back", lang))}</a></p></main>'
            f'<footer class="site-footer"><p>{escape(t("footer", lang))}</p></footer>'
            "</body></html>"
        )


class ReportHandler(_Guarded):
    def get(self, name: str) -> None:
        self._allowed()
        folder = get_settings().reports_dir.resolve()
        path = (folder / name).resolve()
        if path.parent != folder or path.suffix != ".html" or not path.is_file():
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(path.read_bytes())


def patterns() -> list[tuple[str, Any]]:
    return [
        (rf"{PATH}/?", IndexHandler),
        (rf"{PATH}/([A-Za-z0-9_.-]+\.html)", ReportHandler),
    ]
