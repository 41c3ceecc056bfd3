"""Issue 13: a failed file is listed on the review page with its source, name, state, date
and cause (in French, the pipeline's English text marked `lang="en"`), and a steward retries it
with the keyboard only: after the confirmation the file waits in `received` again (read in the
database, with the steward as the one who moved it), or names a later, corrected file of its
source as its replacement. The overview's attention link to the file leads there, and
`?source=` preselects that source's first waiting batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from healthai.models import Batch, RawFile, Source
from healthai.settings import PROJECT_ROOT
from tests.browser.helpers import (
    assert_axe_clean,
    deep_active,
    live_text,
    screenshot,
    sign_in,
    tab_to,
    wait_ready,
)
from tests.pipeline_helpers import materialize_sources, session_for

pytestmark = pytest.mark.browser

BROKEN = "daily_food_nutrition"


def _row_of(page, text: str) -> dict[str, str] | None:  # noqa: ANN001
    """The cells of the table row holding `text`, and the lang of its technical detail."""
    return page.evaluate(
        """(text) => {
      const walk = (root) => {
        for (const tr of root.querySelectorAll('tbody tr')) {
          if (tr.textContent.includes(text)) {
            const code = tr.querySelector('code');
            return {cells: [...tr.children].map(c => c.textContent),
                    lang: code ? code.getAttribute('lang') : null};
          }
        }
        for (const e of root.querySelectorAll('*')) {
          if (e.shadowRoot) { const v = walk(e.shadowRoot); if (v) return v; }
        }
        return null;
      };
      return walk(document);
    }""",
        text,
    )


@pytest.fixture(scope="module")
def failed_file(dashboard_db: dict[str, str]) -> dict[str, object]:
    """A source whose reader crashes on its file (fault injected after the first chunk)."""
    with pytest.MonkeyPatch.context() as mp:
        for k, v in dashboard_db.items():
            mp.setenv(k, v)
        mp.setenv("HEALTHAI_FAULT", "check_chunk")
        mp.setenv("HEALTHAI_FAULT_ACTION", "raise")
        materialize_sources(dashboard_db["DATABASE_URL"], BROKEN)
    with session_for(dashboard_db["DATABASE_URL"]) as s:
        rf = s.scalars(
            select(RawFile).join(Source).where(Source.name == BROKEN, RawFile.state == "failed")
        ).one()
        return {"id": rf.id, "name": rf.original_name, "error": rf.error}


def test_a_failed_file_is_listed_with_its_cause_and_retried_by_keyboard(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
    failed_file: dict[str, object],
) -> None:
    file_id, name = failed_file["id"], str(failed_file["name"])
    assert "fault injected at check_chunk" in str(failed_file["error"])
    sign_in(page, server, "steward")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    # the overview's attention line for the file leads to the review page, for its source
    link = page.locator(f"a:has-text('{name}')")
    assert link.count() == 1
    assert link.get_attribute("href") == f"/validation?source={BROKEN}"
    page.goto(f"{server}/validation?source={BROKEN}")
    wait_ready(page)
    row = _row_of(page, name)
    assert row is not None, "the failed file is not listed on the review page"
    assert row["cells"][0] == str(file_id)
    assert "Fichier en échec" not in row["cells"][3] and row["cells"][3] == "En échec"
    assert "La lecture du fichier a échoué." in row["cells"][5]
    assert "fault injected at check_chunk" in row["cells"][5]
    assert row["lang"] == "en"
    assert_axe_clean(page, "on the review page with a failed file")
    screenshot(page, "validation-fichiers")

    kb = page.keyboard
    info = tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Fichier à réessayer")
    assert info["value"] is not None
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Réessayer")
    kb.press("Enter")
    # handing a file back undoes work: the confirmation takes the focus, Enter confirms
    assert deep_active(page)["text"] == f"Oui, réessayer le fichier {file_id}"
    assert_axe_clean(page, "while the retry is asked to be confirmed")
    kb.press("Enter")
    page.wait_for_function(
        "(id) => document.getElementById('annonces').textContent"
        ".includes(`Fichier ${id} remis en attente`)",
        arg=file_id,
        timeout=15000,
    )
    assert "par steward" in live_text(page)
    with session_for(dashboard_db["DATABASE_URL"]) as s:
        rf = s.get(RawFile, file_id)
        assert (rf.state, rf.state_by) == ("received", "steward")
    assert _row_of(page, name) is None
    assert_axe_clean(page, "after the file was retried")
    assert page.console_errors == []


def test_a_failed_file_is_replaced_by_a_later_corrected_file_by_keyboard(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
    failed_file: dict[str, object],
) -> None:
    file_id = failed_file["id"]
    url = dashboard_db["DATABASE_URL"]
    with pytest.MonkeyPatch.context() as mp:
        for k, v in dashboard_db.items():
            mp.setenv(k, v)
        mp.setenv("HEALTHAI_FAULT", "check_chunk")  # still broken (if it was retried): fails
        mp.setenv("HEALTHAI_FAULT_ACTION", "raise")
        materialize_sources(url, BROKEN)
        mp.delenv("HEALTHAI_FAULT")
        # the corrected export lands: the shipped file without its last row
        shipped = next((PROJECT_ROOT / "raw" / BROKEN).glob("*.csv"))
        lines = shipped.read_text(encoding="utf-8").splitlines(keepends=True)
        landing = Path(dashboard_db["LANDING_DIR"]) / BROKEN
        landing.mkdir(parents=True, exist_ok=True)
        (landing / "corrected.csv").write_text("".join(lines[:-1]), encoding="utf-8")
        materialize_sources(url, BROKEN)
    with session_for(url) as s:
        assert s.get(RawFile, file_id).state == "failed"
        corrected = s.scalars(select(RawFile).where(RawFile.original_name == "corrected.csv")).one()
        by = corrected.id
    sign_in(page, server, "steward")
    page.goto(f"{server}/validation?source={BROKEN}")
    wait_ready(page)
    kb = page.keyboard
    chosen = tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Fichier à réessayer")
    assert chosen["value"] is not None
    successor = tab_to(
        page, lambda i: i["tag"] == "select" and i["label"] == "Fichier qui le remplace"
    )
    assert successor["value"] is not None
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Remplacer")
    kb.press("Enter")
    assert deep_active(page)["text"] == f"Oui, remplacer le fichier {file_id}"
    assert_axe_clean(page, "while the replacement is asked to be confirmed")
    kb.press("Enter")
    page.wait_for_function(
        "(id) => document.getElementById('annonces').textContent"
        ".includes(`Fichier ${id} remplacé par le fichier`)",
        arg=file_id,
        timeout=15000,
    )
    with session_for(url) as s:
        rf = s.get(RawFile, file_id)
        assert (rf.state, rf.replaced_by_id, rf.state_by) == ("replaced", by, "steward")
    assert _row_of(page, str(failed_file["name"])) is None
    assert_axe_clean(page, "after the file was replaced")
    assert page.console_errors == []


def test_the_source_argument_preselects_its_waiting_batch(
    page,  # noqa: ANN001
    server: str,
    dashboard_db: dict[str, str],
) -> None:
    # a second source waiting, so that the page's default choice (the first waiting batch)
    # is not the one the argument asks for
    with pytest.MonkeyPatch.context() as mp:
        for k, v in dashboard_db.items():
            mp.setenv(k, v)
        materialize_sources(dashboard_db["DATABASE_URL"], "diet_recommendations")
    with session_for(dashboard_db["DATABASE_URL"]) as s:
        waiting = s.execute(
            select(Batch.id, Source.name)
            .join(Source)
            .where(Batch.status.in_(("audited", "audit_failed")))
            .order_by(Batch.id)
        ).all()
    assert len({name for _id, name in waiting}) >= 2, waiting
    batch_id, source = waiting[-1]
    assert source != waiting[0][1]
    sign_in(page, server, "steward")
    page.goto(f"{server}/validation?source={source}")
    wait_ready(page)
    info = tab_to(page, lambda i: i["tag"] == "select" and i["label"] == "Lot à examiner")
    assert info["value"] is not None
    assert page.locator(f"h2:has-text('Lot {batch_id}')").count() >= 1
