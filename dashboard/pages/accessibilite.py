"""Déclaration d'accessibilité, in the RGAA's form: what was tested, how, the result, and the
known exceptions. Public (no sign-in needed)."""

from __future__ import annotations

import json
from pathlib import Path

import bokeh
import jinja2
import panel as pn

from dashboard.components.base import CONTENT_CSS
from dashboard.i18n import t
from dashboard.pages.quality import refresh_seconds
from dashboard.shell import PAGES, TEMPLATES, Context

STATEMENT_DATE = "29 novembre 2026"
AXE_PACKAGE = Path(__file__).resolve().parents[2] / "tests" / "browser" / "package-lock.json"


def axe_version() -> str:
    try:
        lock = json.loads(AXE_PACKAGE.read_text(encoding="utf-8"))
        return lock["packages"]["node_modules/axe-core"]["version"]
    except (OSError, KeyError, ValueError):
        return "4"


def build(ctx: Context) -> pn.viewable.Viewable:
    source = (TEMPLATES / f"accessibilite.{ctx.lang}.html").read_text(encoding="utf-8")
    pages = [f"{t(key, ctx.lang)} (/{slug})" for slug, key in PAGES.items()]
    pages.append(f"{t('connexion', ctx.lang)} (/connexion)")
    html = (
        jinja2.Environment(autoescape=True)
        .from_string(source)
        .render(
            axe_version=axe_version(),
            panel_version=pn.__version__,
            bokeh_version=bokeh.__version__,
            refresh=refresh_seconds(),
            date=STATEMENT_DATE if ctx.lang == "fr" else "29 November 2026",
            pages=pages,
        )
    )
    return pn.pane.HTML(html, stylesheets=[CONTENT_CSS], sizing_mode="stretch_width")
