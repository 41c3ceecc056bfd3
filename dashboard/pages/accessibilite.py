"""Déclaration d'accessibilité, in the RGAA's form: what was tested, how, the result, and the
known exceptions. Public (no sign-in needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import bokeh
import jinja2
import panel as pn

from dashboard.components.base import CONTENT_CSS
from dashboard.i18n import fmt_num, t
from dashboard.pages.quality import refresh_seconds
from dashboard.rgaa_grid import summary
from dashboard.shell import PAGES, TEMPLATES, Context

STATEMENT_DATE = {"fr": "6 décembre 2026", "en": "6 December 2026"}
# the statement's contact means (mandatory); a deployment sets its own address
DEFAULT_CONTACT = "accessibilite@healthai-coach.example"
STATES = {
    "fr": {
        "totale": "totalement conforme",
        "partielle": "partiellement conforme",
        "non": "non conforme",
    },
    "en": {
        "totale": "fully compliant",
        "partielle": "partially compliant",
        "non": "not compliant",
    },
}
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
    grid = summary()
    html = (
        jinja2.Environment(autoescape=True)
        .from_string(source)
        .render(
            axe_version=axe_version(),
            panel_version=pn.__version__,
            bokeh_version=bokeh.__version__,
            refresh=refresh_seconds(),
            date=STATEMENT_DATE[ctx.lang],
            pages=pages,
            state=STATES[ctx.lang][grid["state"]],
            rate=fmt_num(grid["rate"], ctx.lang, 0 if grid["rate"] == int(grid["rate"]) else 1),
            met=grid["met"],
            applicable=grid["applicable"],
            not_applicable=grid["not_applicable"],
            automated=grid["automated"],
            audited=grid["audited"],
            not_met=", ".join(c["id"] for c in grid["not_met"]),
            contact=os.environ.get("ACCESSIBILITY_CONTACT", DEFAULT_CONTACT),
        )
    )
    return pn.pane.HTML(html, stylesheets=[CONTENT_CSS], sizing_mode="stretch_width")
