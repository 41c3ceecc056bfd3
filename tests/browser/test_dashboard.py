"""The dashboard in a real headless Chromium: every page loads without a console error, has
its language, title and landmarks, and axe-core (WCAG 2.1 A/AA) finds zero violations, also
after the main interactions; a keyboard-only flow approves a batch and corrects a row."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from dashboard.pages.corrections import reason_columns
from dashboard.shell import PAGES
from healthai.models import Batch, QuarantinedRow, Source
from healthai.queries import analytics
from tests.browser.helpers import (
    assert_axe_clean,
    canvases_hidden,
    deep_active,
    live_text,
    screenshot,
    sign_in,
    structure,
    tab_to,
    wait_ready,
)

pytestmark = pytest.mark.browser


def _session(env: dict[str, str]) -> Session:
    return Session(create_engine(env["DATABASE_URL"]))


def test_sign_in_page(page, server: str) -> None:  # noqa: ANN001
    page.goto(f"{server}/connexion")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.title() == "Connexion – HealthAI Coach"
    assert_axe_clean(page, "on the sign-in page")
    page.fill("#username", "steward")
    page.fill("#password", "wrong")
    page.press("#password", "Enter")
    page.wait_for_load_state("load")
    assert "incorrect" in page.inner_text("#annonces")
    # both fields are marked invalid and described by the message; the focus is back on the first
    for name, field in (("Identifiant", "#username"), ("Mot de passe", "#password")):
        _assert_error_tied(
            page, name, "Identifiant ou mot de passe incorrect.", page.locator(field)
        )
    assert deep_active(page)["label"] == "Identifiant"
    assert_axe_clean(page, "after a failed sign-in")
    screenshot(page, "connexion")
    assert page.console_errors == []


FORBIDDEN = {"partner": {"qualite", "validation", "corrections", "export"}}
# A partner's pages are the same pages: its run checks its own figures and a refused page.
ROLE_PAGES = {"partner": ["vue-ensemble", "utilisateurs", "commercial", "validation"]}


@pytest.mark.parametrize("role", ["steward", "partner"])
def test_every_page(page, server: str, role: str) -> None:  # noqa: ANN001
    sign_in(page, server, role)
    titles = set()
    slugs = ROLE_PAGES.get(role, list(PAGES))
    for slug in slugs:
        page.goto(f"{server}/{slug}")
        wait_ready(page)
        s = structure(page)
        assert s["lang"] == "fr", slug
        assert s["h1"] == 1, slug
        assert (s["header"], s["main"], s["footer"]) == (1, 1, 1), slug
        assert s["nav"] == ["Navigation principale"], slug
        assert s["status"] and s["skip"] == "#contenu", slug
        assert s["title"].endswith("– HealthAI Coach"), slug
        titles.add(s["title"])
        canvases, hidden = canvases_hidden(page)
        assert canvases == hidden, f"{slug}: a chart canvas is exposed to assistive technologies"
        assert page.locator("text=/Erreur interne/").count() == 0, slug
        if slug in FORBIDDEN.get(role, ()):
            assert page.locator("text=/ne donne pas accès/").count() == 1, slug
        assert_axe_clean(page, f"on /{slug} as {role}")
        screenshot(page, f"{slug}-{role}")
        assert page.console_errors == [], f"{slug}: {page.console_errors}"
    assert len(titles) == len(slugs)


def test_english_switch(page, server: str) -> None:  # noqa: ANN001
    sign_in(page, server, "analyst")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    page.click("a[hreflang=en]")
    wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title() == "Overview – HealthAI Coach"
    assert_axe_clean(page, "on the English overview")
    screenshot(page, "vue-ensemble-en")
    assert page.console_errors == []


def _kpi(page, label: str) -> str:  # noqa: ANN001
    return page.evaluate(
        """(label) => {
      const find = (root) => {
        for (const li of root.querySelectorAll('.kpis li')) {
          if (li.querySelector('.label').textContent === label)
            return li.querySelector('.value').textContent;
        }
        for (const e of root.querySelectorAll('*')) {
          if (e.shadowRoot) { const v = find(e.shadowRoot); if (v) return v; }
        }
        return null;
      };
      return find(document);
    }""",
        label,
    )


@contextmanager
def _api(env: dict[str, str], username: str = "analyst") -> Iterator[tuple[Any, dict[str, str]]]:
    """The real API application on the browser tests' database, and a bearer header for one
    of its accounts."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from healthai.access import create_token
    from healthai.db import make_engine
    from healthai.models.accounts import ApiAccount
    from healthai.settings import Settings

    settings = Settings(database_url=env["DATABASE_URL"], environment="test")
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        account = session.scalar(select(ApiAccount).where(ApiAccount.username == username))
    token, _, _ = create_token(settings, account.id, account.token_version)
    try:
        with TestClient(create_app(settings, engine)) as client:
            yield client, {"Authorization": f"Bearer {token}"}
    finally:
        engine.dispose()


def _api_numbers(env: dict[str, str], org: int) -> dict[str, int]:
    with _api(env) as (client, headers):
        conv = client.get(
            "/analytics/business/conversion", params={"organisation_id": org}, headers=headers
        )
        inten = client.get(
            "/analytics/fitness/intensity", params={"organisation_id": org}, headers=headers
        )
    assert conv.status_code == 200, conv.text
    assert inten.status_code == 200, inten.text
    return {"users": conv.json()["users"], "sessions": sum(r["sessions"] for r in inten.json())}


def test_overview_numbers_are_the_analytics_numbers(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
) -> None:
    org = int(dashboard_db["ORG_ID"])
    with _session(dashboard_db) as session:
        everyone = analytics.premium_conversion(session)["users"]
        members = analytics.premium_conversion(session, org)["users"]
        sessions = sum(r["sessions"] for r in analytics.intensity_levels(session, org))
    assert members == 100 and everyone > members
    # ... and the API's analytics endpoints answer the same for the same filter
    api = _api_numbers(dashboard_db, org)
    assert api == {"users": members, "sessions": sessions}
    sign_in(page, server, "steward")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    assert _kpi(page, "Utilisateurs") == str(everyone)
    # filter applied with the keyboard: organisation select, then the apply button
    tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Organisation")
    page.keyboard.press("ArrowDown")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Appliquer les filtres")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('annonces').textContent.includes('Filtres appliqués')"
    )
    assert _kpi(page, "Utilisateurs") == str(members)
    assert _kpi(page, "Séances d'entraînement") == str(sessions)
    assert_axe_clean(page, "after a filter was applied")
    screenshot(page, "vue-ensemble-filtre")
    # a partner sees only its organisation, whatever it asks for
    page.context.clear_cookies()
    sign_in(page, server, "partner")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    assert _kpi(page, "Utilisateurs") == str(members)
    assert page.console_errors == []


def test_quality_page_refreshes_itself(page, server: str) -> None:  # noqa: ANN001
    sign_in(page, server, "analyst")
    page.goto(f"{server}/qualite")
    wait_ready(page)
    first = page.evaluate("() => document.querySelector('main').innerText")
    stamp = page.locator("text=/mises à jour à/").first.inner_text()
    page.wait_for_function(
        """(before) => {
      const find = (root) => {
        for (const e of root.querySelectorAll('p')) if (e.textContent.includes('mises à jour à'))
          return e.textContent;
        for (const e of root.querySelectorAll('*'))
          if (e.shadowRoot) { const v = find(e.shadowRoot); if (v) return v; }
        return null;
      };
      const now = find(document);
      return now && now !== before;
    }""",
        arg=stamp,
        timeout=10000,
    )
    assert first
    assert_axe_clean(page, "after the quality page refreshed")

    # The updates can be paused from the keyboard (WCAG 2.2.2), and the pause holds.
    pause = page.get_by_role("button", name="Suspendre la mise à jour automatique")
    pause.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Reprendre la mise à jour automatique").wait_for()
    paused = page.locator("text=/mises à jour à/").first.inner_text()
    page.wait_for_timeout(5000)  # two and a half refresh periods
    assert page.locator("text=/mises à jour à/").first.inner_text() == paused
    assert_axe_clean(page, "with the quality page's updates paused")
    assert page.console_errors == []


def test_analyst_cannot_approve(page, server: str) -> None:  # noqa: ANN001
    sign_in(page, server, "analyst")
    page.goto(f"{server}/validation")
    wait_ready(page)
    assert page.locator("text=/ne donne pas accès/").count() >= 1
    assert_axe_clean(page, "on the review page as an analyst")


DESCRIPTION = """(el) => {
  const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  return ids.map(id => el.getRootNode().getElementById(id)?.textContent || '').join(' ');
}"""


def chromium_description(page: Any, name: str) -> str | None:
    """The description Chromium's own accessibility tree (what screen readers read) gives
    the editable field named `name`."""
    cdp = page.context.new_cdp_session(page)
    try:
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            editable = any(p["name"] == "editable" for p in node.get("properties", []))
            if editable and node.get("name", {}).get("value") == name:
                return node.get("description", {}).get("value")
        return None
    finally:
        cdp.detach()


def _assert_error_tied(page: Any, name: str, error: str, field: Any = None) -> None:
    """The field is marked invalid and described by the error message: in Chromium's
    accessibility tree, in Playwright's own computation, and by the ids it points to."""
    field = field or page.get_by_role("textbox", name=name)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(re.escape(error)))
    assert error in field.evaluate(DESCRIPTION)
    assert error in (chromium_description(page, name) or "")


def test_form_errors_are_tied_to_their_fields(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
) -> None:
    """A rejection without a comment, then a correction with a refused value, from the
    keyboard: the error is shown on the field, tied to it, and the focus is taken there."""
    kb = page.keyboard
    sign_in(page, server, "steward")
    page.goto(f"{server}/validation")
    wait_ready(page)
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Rejeter le lot")
    kb.press("Enter")
    error = "un rejet doit dire pourquoi"
    page.wait_for_function(
        "(e) => document.getElementById('annonces').textContent.includes(e)", arg=error
    )
    _assert_error_tied(page, "Commentaire (obligatoire pour un rejet)", error)
    assert deep_active(page)["tag"] == "textarea"  # the focus went to the field
    with _session(dashboard_db) as session:
        assert (
            session.scalar(
                select(Batch.status).join(Source).where(Source.name == "free_exercise_db")
            )
            == "audited"
        )
    assert_axe_clean(page, "with a field in error on the review page")
    # corrections: the last open row (the keyboard test corrects the first), a refused value
    page.goto(f"{server}/corrections")
    wait_ready(page)
    with _session(dashboard_db) as session:
        last = session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.status == "open")
            .order_by(QuarantinedRow.id.desc())
        ).first()
        column = reason_columns(last.reasons or [], last.raw or {})[0]
        label, before = f"Valeur de « {column} »", str(last.raw[column])
    tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Ligne à corriger")
    kb.press("End")
    page.get_by_role("heading", name=re.compile(f"^Ligne n° {last.id} ")).wait_for(timeout=15000)
    # the row's own fields are drawn (not the first row's any more)
    expect(page.get_by_role("textbox", name=label)).to_have_value(before, timeout=15000)
    field = tab_to(page, lambda i: i["tag"] == "input" and i["label"] == label)
    kb.press("Control+A")
    kb.type("abc")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Corriger et revalider")
    kb.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('annonces').textContent.includes('pas été enregistrée')",
        timeout=20000,
    )
    expect(page.get_by_role("textbox", name=field["label"])).to_have_value("abc")
    _assert_error_tied(page, field["label"], "Erreur : valeur refusée, saisissez un nombre")
    active = deep_active(page)
    assert active["tag"] == "input" and active["label"].startswith("Valeur de")
    assert_axe_clean(page, "with a field in error on the corrections page")
    screenshot(page, "corrections-erreur")
    assert page.console_errors == []


def test_keyboard_only_sign_in_approve_and_correct(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
) -> None:
    with _session(dashboard_db) as session:
        batch_id = session.scalar(
            select(Batch.id)
            .join(Source)
            .where(Source.name == "free_exercise_db", Batch.status == "audited")
        )
        row_id = session.scalar(
            select(QuarantinedRow.id)
            .where(QuarantinedRow.status == "open")
            .order_by(QuarantinedRow.id)
        )
    assert batch_id and row_id
    kb = page.keyboard
    # sign in: Tab to the fields, type, Enter
    page.goto(f"{server}/connexion")
    tab_to(
        page, lambda i: i["tag"] == "input" and i["type"] is None and "Identifiant" in i["label"]
    )
    kb.type("steward")
    kb.press("Tab")
    kb.type("motdepasse-de-test-1")
    kb.press("Enter")
    page.wait_for_url("**/vue-ensemble")
    wait_ready(page)
    # to the review page through the navigation, with the keyboard
    tab_to(page, lambda i: i["tag"] == "a" and i["text"] == "Validation des lots")
    kb.press("Enter")
    page.wait_for_url("**/validation")
    wait_ready(page)
    info = tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Lot à examiner")
    assert info["value"] is not None
    tab_to(page, lambda i: i["tag"] == "textarea")
    kb.type("Contrôles relus, échantillon conforme.")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Approuver le lot")
    kb.press("Space")
    # approving publishes data: the confirmation takes the focus, Space confirms
    assert deep_active(page)["text"] == f"Confirmer l'approbation du lot {batch_id}"
    kb.press("Space")
    page.wait_for_function(
        "(id) => document.getElementById('annonces').textContent.includes(`Lot ${id} approuvé`)",
        arg=batch_id,
        timeout=15000,
    )
    assert f"Lot {batch_id} approuvé par steward" in live_text(page)
    with _session(dashboard_db) as session:
        batch = session.get(Batch, batch_id)
        assert (batch.status, batch.decided_by) == ("approved", "steward")
        assert batch.decision_comment == "Contrôles relus, échantillon conforme."
    assert_axe_clean(page, "after a batch was approved")
    screenshot(page, "validation-apres-approbation")
    # corrections: the first open row is selected; fix its average heart rate
    tab_to(page, lambda i: i["tag"] == "a" and i["text"] == "Corrections", reverse=True)
    kb.press("Enter")
    page.wait_for_url("**/corrections")
    wait_ready(page)
    tab_to(page, lambda i: i["tag"] == "input" and "Avg_BPM" in i["label"])
    for _ in range(6):
        kb.press("Backspace")
    kb.type("120")
    kb.press("Enter")
    tab_to(page, lambda i: i["tag"] == "input" and i["label"] == "Commentaire")
    kb.type("Fréquence moyenne ressaisie depuis la fiche")
    kb.press("Enter")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Corriger et revalider")
    kb.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('annonces').textContent.includes('revalidée')",
        timeout=20000,
    )
    with _session(dashboard_db) as session:
        row = session.get(QuarantinedRow, row_id)
        assert row.status != "open" and row.resolved_by == "steward"
        assert row.requeued_batch_id is not None
    assert_axe_clean(page, "after a row was corrected")
    screenshot(page, "corrections-apres-correction")
    assert page.console_errors == []


def test_reflow_at_320_px(page, server: str) -> None:  # noqa: ANN001
    sign_in(page, server, "steward")
    page.set_viewport_size({"width": 320, "height": 800})
    for slug in ("vue-ensemble", "validation", "corrections"):
        page.goto(f"{server}/{slug}")
        wait_ready(page)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"/{slug} scrolls sideways at 320 px: {width}"
        screenshot(page, f"{slug}-320px")
    assert_axe_clean(page, "at 320 px")


def test_export_download_from_the_keyboard(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
) -> None:
    """Choose the table and the organisation, preview, then Tab to the download link and
    press Enter: the file is the API's export for the same filters, byte for byte."""
    org = int(dashboard_db["ORG_ID"])
    sign_in(page, server, "analyst")
    page.goto(f"{server}/export")
    wait_ready(page)
    kb = page.keyboard
    tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Table")
    for _ in range(10):  # users: the keyboard walks the list until it is selected
        if deep_active(page)["value"] == "Utilisateurs":
            break
        kb.press("ArrowDown")
    tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Organisation")
    for _ in range(5):
        if deep_active(page)["value"] == "Salle Test":
            break
        kb.press("ArrowDown")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Appliquer les filtres")
    kb.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('annonces').textContent.includes('100 lignes correspondent')"
    )
    assert_axe_clean(page, "after the export preview")
    link = tab_to(page, lambda i: i["tag"] == "a" and i["text"].startswith("Télécharger"))
    assert link["text"] == "Télécharger « Utilisateurs » au format CSV"
    with page.expect_download() as download:
        kb.press("Enter")
    assert download.value.suggested_filename == "users.csv"
    content = Path(download.value.path()).read_text(encoding="utf-8")
    href = page.evaluate(DOWNLOAD_HREF)
    json_file = page.context.request.get(server + href.replace("format=csv", "format=json"))
    with _api(dashboard_db) as (client, headers):
        params = {"organisation_id": org, "limit": 1000}
        api_csv = client.get("/exports/users", params=params, headers=headers)
        api_json = client.get(
            "/exports/users", params={**params, "format": "json"}, headers=headers
        )
    assert api_csv.status_code == 200 and api_json.status_code == 200
    assert content == api_csv.text
    assert json_file.ok and json_file.text() == api_json.text
    lines = content.splitlines()
    assert len(lines) == 1 + 100  # the header and the organisation's 100 members
    assert lines[0].startswith("id,") and "external_key" not in lines[0]
    assert len(lines[1].split(",")[0]) > 10  # a pseudonym, not a row number
    # the link answers only to a signed-in account allowed to export
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server + href, timeout=10)
    assert refused.value.code == 401
    page.context.clear_cookies()
    sign_in(page, server, "partner")  # a partner has no export right (exports:read)
    assert page.context.request.get(server + href).status == 403
    assert page.console_errors == []


DOWNLOAD_HREF = """() => {
  const find = (root) => {
    const a = root.querySelector('a.download');
    if (a) return a.getAttribute('href');
    for (const e of root.querySelectorAll('*')) {
      if (e.shadowRoot) { const v = find(e.shadowRoot); if (v) return v; }
    }
    return null;
  };
  return find(document);
}"""


def test_sign_in_form_is_rate_limited_like_the_api(server: str) -> None:
    """The dashboard's sign-in counts its attempts where the API does (`login_attempts`):
    after LOGIN_RATE_LIMIT failures for one username from one address, the next attempt is
    answered 429 with Retry-After and a French message, whatever the password."""
    import httpx

    from healthai.settings import get_settings

    limit = get_settings().login_rate_limit
    form = {"username": "limit-probe", "password": "not the password"}
    with httpx.Client(base_url=server, follow_redirects=False, timeout=30) as client:
        for _ in range(limit):
            failed = client.post("/connexion", data=form)
            assert failed.status_code == 200 and "incorrect" in failed.text
        refused = client.post("/connexion", data=form)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "Trop de tentatives de connexion" in refused.text
        # another username from the same address is not affected
        other = client.post("/connexion", data={**form, "username": "limit-probe-2"})
        assert other.status_code == 200 and "incorrect" in other.text
