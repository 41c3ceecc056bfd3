"""The ten accessibility findings of issue #15, each reproduced in Chromium: every test here
failed on the interface before its fix (see the commit that brought it). The RGAA criteria
each one proves are named in docs/accessibilite/grille-rgaa.json, which points back here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from dashboard.i18n import STRINGS
from dashboard.shell import PAGES
from healthai.models import AuditLog, Batch, QuarantinedRow, Source
from tests.browser.helpers import (
    assert_axe_clean,
    control_borders,
    deep_active,
    live_text,
    main_text,
    screenshot,
    sign_in,
    tab_stops,
    tab_to,
    wait_ready,
)

pytestmark = pytest.mark.browser


def _session(env: dict[str, str]) -> Session:
    return Session(create_engine(env["DATABASE_URL"]))


def _wait_live(page: Any, text: str, timeout: int = 20000) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('annonces').textContent.includes(t)",
        arg=text,
        timeout=timeout,
    )


# ---------------------------------------------------------------- 1. refresh and pause
def test_quality_refresh_keeps_focus_and_pause_button(page, server: str) -> None:  # noqa: ANN001
    """Finding 1 (WCAG 2.4.3, 2.2.2; RGAA 12.8, 7.1, 13.1): the page refreshes every 2 s here;
    nothing is redrawn when nothing changed, the focus stays on the pause button through
    refreshes, and the button keeps the focus when pressed twice (label changed in place)."""
    sign_in(page, server, "steward")
    page.goto(f"{server}/qualite")
    wait_ready(page)
    # a mark inside the scorecard section: it survives a refresh only if the section is
    # not redrawn
    page.evaluate(
        """() => { const walk = (root) => { for (const e of root.querySelectorAll('*')) {
            if (e.shadowRoot) { const h = e.shadowRoot.querySelector('ul.cards, h2');
              if (h && h.textContent.includes('Score de qualité')) {
                h.dataset.mark = '1'; return true; }
              if (walk(e.shadowRoot)) return true; } } return false; }; return walk(document); }"""
    )
    button = tab_to(page, lambda i: i["tag"] == "button" and "Suspendre" in i["text"])
    page.wait_for_timeout(5000)  # two and a half refresh periods
    assert deep_active(page)["text"] == button["text"], "the focus left the pause button"
    marked = page.evaluate(
        """() => { const walk = (root) => { for (const e of root.querySelectorAll('*')) {
            if (e.shadowRoot) { if (e.shadowRoot.querySelector('[data-mark="1"]')) return true;
              if (walk(e.shadowRoot)) return true; } } return false; }; return walk(document); }"""
    )
    assert marked, "the scorecard was redrawn although nothing changed"
    page.keyboard.press("Enter")
    _wait_live(page, "suspendue")
    after = deep_active(page)
    assert after["tag"] == "button" and after["text"] == "Reprendre la mise à jour automatique"
    page.keyboard.press("Enter")  # the second Enter works: same button, still focused
    _wait_live(page, "reprise")
    assert deep_active(page)["text"] == "Suspendre la mise à jour automatique"
    assert page.console_errors == []


# ---------------------------------------------------------------- 2 and 9. tab stops
@pytest.mark.parametrize("width", [1280, 320])
def test_every_tab_stop_is_named(page, server: str, width: int) -> None:  # noqa: ANN001
    """Findings 2 and 9 (WCAG 4.1.2, 2.4.3; RGAA 7.1, 12.8): on every page, each stop of the
    tab order has a role and a name in Chromium's accessibility tree; no chart is a stop;
    a table is a stop only while it overflows (then named by its caption), never a region."""
    sign_in(page, server, "steward")
    page.set_viewport_size({"width": width, "height": 900})
    for slug in PAGES:
        page.goto(f"{server}/{slug}")
        wait_ready(page, 800)
        stops = tab_stops(page)
        assert len(stops) > 10, slug
        for stop in stops:
            assert stop["role"] not in (None, "generic", "region", "none"), (slug, stop)
            assert stop["name"], f"/{slug}: unnamed tab stop {stop}"
            if stop["role"] == "table":
                assert width == 320, f"/{slug}: a table is a tab stop without overflowing"
        assert page.evaluate("() => document.querySelectorAll('canvas').length") == 0


# ---------------------------------------------------------------- 3. all in French
def _codes() -> re.Pattern[str]:
    """Every code the catalogue words (snake-case enumeration values, statuses, check and
    rule names, source names) and the English texts the pages used to show."""
    codes = set()
    for key in STRINGS["fr"]:
        kind, _, code = key.partition(".")
        if kind in ("enum", "status", "check", "rule", "source") and code:
            code = code.split(".")[-1]
            if "_" in code or kind == "status":
                codes.add(code)
    codes -= {"open", "failed", "partial", "done", "received", "processing"}  # French-neutral
    english = ["Rows in", "Every reference", "Publication passes", "{'", "Δ", "↓", "DAU", "WAU"]
    words = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    return re.compile(rf"\b(?:{words})\b|" + "|".join(re.escape(e) for e in english))


def test_no_code_nor_english_phrase_shown(
    page,  # noqa: ANN001
    server: str,
) -> None:
    """Finding 3 (WCAG 3.1.2; RGAA 8.7): check descriptions, failed checks, quarantine reasons,
    enumerations, statuses and KPI labels are in French; the data of an English-language
    source is marked `lang="en"`."""
    pattern = _codes()
    sign_in(page, server, "steward")
    for slug in ("validation", "qualite", "corrections", "utilisateurs", "commercial", "activite"):
        page.goto(f"{server}/{slug}")
        wait_ready(page, 800)
        text = main_text(page)
        found = sorted(set(m.group(0) for m in pattern.finditer(text)))
        assert found == [], f"/{slug} shows codes or English: {found}"
    # the record of an English source: its column names and values are marked as English
    page.goto(f"{server}/corrections")
    wait_ready(page, 800)
    marked = page.evaluate(
        """() => { let n = 0; const walk = (root) => {
          n += root.querySelectorAll('td[lang=en], span[lang=en]').length;
          root.querySelectorAll('*').forEach(e => e.shadowRoot && walk(e.shadowRoot)); };
          walk(document); return n; }"""
    )
    assert marked > 10
    assert_axe_clean(page, "on the corrections page, English data marked")


# ---------------------------------------------------------------- 5. contrasts and size
def test_borders_focus_rings_and_text_size(page, server: str) -> None:  # noqa: ANN001
    """Findings 5 and 9 (WCAG 1.4.11, 2.4.7, 1.4.4; RGAA 3.3, 10.7, 10.4), measured: every
    enabled form control stands out from its background at 3:1 at least (its border or its
    fill), every tab stop draws a focus ring 2 px wide or more at 3:1, and the text of
    widgets is 16 px."""
    sign_in(page, server, "steward")
    for slug in PAGES:
        page.goto(f"{server}/{slug}")
        wait_ready(page, 800)
        for control in control_borders(page):
            if control["disabled"]:
                continue  # inactive components are exempt (WCAG 1.4.11)
            assert control["ratio"] >= 3, f"/{slug}: {control}"
            assert control["font"] >= 16, f"/{slug}: text of {control} under 16 px"
        for stop in tab_stops(page):
            assert stop["outline_style"] != "none", f"/{slug}: no focus ring on {stop}"
            assert stop["outline_width"] >= 2, f"/{slug}: focus ring too thin on {stop}"
            assert stop["outline_ratio"] >= 3, f"/{slug}: focus ring contrast {stop}"


# ---------------------------------------------------------------- 6 and 7. approval
def test_approval_is_confirmed_and_focus_stays_meaningful(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
) -> None:
    """Finding 7 (RGAA 11.12, WCAG 3.3.4): approving publishes data, so it asks for a
    confirmation that the keyboard reaches at once and that can be cancelled; finding 6
    (WCAG 2.4.3): deciding the last waiting batch moves the focus to the result, not to the
    page's end."""
    with _session(dashboard_db) as s:
        batch_id = s.scalar(select(Batch.id).join(Source).where(Source.name == "free_exercise_db"))
        assert (
            s.scalar(select(func.count()).select_from(Batch).where(Batch.status == "audited")) == 1
        )
    kb = page.keyboard
    sign_in(page, server, "steward")
    page.goto(f"{server}/validation")
    wait_ready(page)
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Approuver le lot")
    kb.press("Enter")
    confirm = deep_active(page)
    assert (
        confirm["tag"] == "button"
        and confirm["text"] == f"Confirmer l'approbation du lot {batch_id}"
    )
    with _session(dashboard_db) as s:
        assert s.get(Batch, batch_id).status == "audited"  # nothing done yet
    assert_axe_clean(page, "with the approval's confirmation open")
    screenshot(page, "validation-confirmation")
    kb.press("Tab")
    assert deep_active(page)["text"] == "Annuler"
    kb.press("Enter")  # cancelled: back on the approve button, batch untouched
    assert deep_active(page)["text"] == "Approuver le lot"
    with _session(dashboard_db) as s:
        assert s.get(Batch, batch_id).status == "audited"
    kb.press("Enter")
    kb.press("Enter")  # confirm
    _wait_live(page, f"Lot {batch_id} approuvé")
    with _session(dashboard_db) as s:
        assert s.get(Batch, batch_id).status == "approved"
    active = deep_active(page)
    assert active["tag"] == "p" and f"Lot {batch_id} approuvé" in active["text"], active
    assert_axe_clean(page, "after the last batch was decided")


# ---------------------------------------------------------------- 8. refused correction
def test_refused_correction_in_plain_words_and_not_in_history(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
) -> None:
    """Finding 8: a refused correction says what to type, never the rule's technical name,
    and nothing of it is written to the correction history."""
    with _session(dashboard_db) as s:
        row = s.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.status == "open")
            .order_by(QuarantinedRow.id)
        ).first()
        before = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "correct")
        )
    kb = page.keyboard
    sign_in(page, server, "steward")
    page.goto(f"{server}/corrections")
    wait_ready(page)
    tab_to(page, lambda i: i["tag"] == "input" and i["label"] == "Valeur de « Avg_BPM »")
    kb.press("Control+A")
    kb.type("abc")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Corriger et revalider")
    kb.press("Enter")
    _wait_live(page, "pas été enregistrée")
    said = live_text(page)
    assert "saisissez un nombre" in said and "coerce" not in said and "dtype" not in said
    with _session(dashboard_db) as s:
        after = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "correct")
        )
        kept = s.get(QuarantinedRow, row.id)
        assert after == before and kept.raw == row.raw and kept.status == "open"


# ---------------------------------------------------------------- 9. the minor findings
def test_minor_findings(page, server: str) -> None:  # noqa: ANN001
    """Finding 9: the profiling reports link answers; a filter that shows nothing says so;
    the username stays typed after a refused sign-in; a partner's navigation offers only the
    pages its role may open; every action shows at once that it is working."""
    page.goto(f"{server}/connexion")
    page.fill("#username", "steward")
    page.fill("#password", "pas le bon mot de passe")
    page.press("#password", "Enter")
    page.wait_for_load_state("load")
    assert page.input_value("#username") == "steward"

    sign_in(page, server, "steward")
    page.goto(f"{server}/qualite")
    wait_ready(page)
    href = page.evaluate(
        """() => { const walk = (root) => { for (const a of root.querySelectorAll('a'))
          if (a.textContent.includes('rapports de profilage')) return a.getAttribute('href');
          for (const e of root.querySelectorAll('*')) if (e.shadowRoot) {
            const v = walk(e.shadowRoot); if (v) return v; }
          return null; }; return walk(document); }"""
    )
    answer = page.goto(server + href)
    assert answer.status == 200 and page.evaluate("document.documentElement.lang") == "fr"
    assert page.locator("h1").count() == 1
    assert_axe_clean(page, "on the profiling reports page")

    page.goto(f"{server}/nutrition")  # no meal is published in this database
    wait_ready(page)
    button = tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Appliquer les filtres")
    assert button
    # the working state is shown by the browser itself, before the server answers
    busy = page.evaluate(
        """() => { let el = document.activeElement;
          while (el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
          el.click(); const root = el.getRootNode();
          return [root.querySelector('.bar').getAttribute('aria-busy'),
                  root.querySelector('.message').textContent]; }"""
    )
    assert busy == ["true", "Application des filtres en cours…"]
    _wait_live(page, "Filtres appliqués")
    assert "aucune donnée" in live_text(page)

    page.context.clear_cookies()
    sign_in(page, server, "partner")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    links = page.evaluate("() => [...document.querySelectorAll('nav a')].map(a => a.textContent)")
    assert links == [
        "Vue d'ensemble",
        "Utilisateurs",
        "Nutrition",
        "Activité physique",
        "Activité commerciale",
        "Accessibilité",
    ]
    assert page.console_errors == []
