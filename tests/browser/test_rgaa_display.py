"""RGAA 10.4 (text readable and usable at 200 % zoom) and 10.12 (text spacing can be changed
without loss of content), measured in Chromium on every page a steward opens. A 200 % zoom
of a 1280-pixel window lays the page out in 640 CSS pixels; the text spacing of WCAG 1.4.12
(line height 1.5, paragraphs 2, letters 0.12, words 0.16 em) is injected into the document and
every component's shadow root. Neither may make the page scroll sideways nor clip text in a
box that hides its overflow."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.shell import PAGES
from tests.browser.helpers import sign_in, wait_ready

pytestmark = pytest.mark.browser

SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important;"
    " word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }"
)

# elements hiding their overflow whose text no longer fits (a few pixels of rounding allowed)
CLIPPED = """(css) => {
  const roots = [document];
  const walk = (root) => root.querySelectorAll('*').forEach(e => {
    if (e.shadowRoot) { roots.push(e.shadowRoot); walk(e.shadowRoot); }
  });
  walk(document);
  if (css) for (const r of roots) {
    const s = document.createElement('style'); s.textContent = css;
    (r === document ? document.head : r).appendChild(s);
  }
  const clipped = [];
  for (const r of roots) r.querySelectorAll('*').forEach(e => {
    const st = getComputedStyle(e);
    if (!e.textContent.trim() || e.children.length > 0) return;
    if (e.closest && e.closest('svg')) return;
    const hides = (v) => v === 'hidden' || v === 'clip';
    if ((hides(st.overflowX) && e.scrollWidth > e.clientWidth + 2) ||
        (hides(st.overflowY) && e.scrollHeight > e.clientHeight + 2))
      if (e.clientWidth > 0 && e.clientHeight > 0)
        clipped.push(e.tagName + ': ' + e.textContent.trim().slice(0, 40));
  });
  return {clipped, scroll: [document.documentElement.scrollWidth, window.innerWidth]};
}"""


def _check(page: Any, server: str, css: str) -> list[str]:
    problems = []
    for slug in PAGES:
        page.goto(f"{server}/{slug}")
        wait_ready(page)
        page.evaluate(CLIPPED, css)  # the spacing applied (nothing for the zoom)
        page.wait_for_timeout(300)  # laid out again
        seen = page.evaluate(CLIPPED, "")
        if seen["scroll"][0] > seen["scroll"][1]:
            problems.append(f"/{slug} scrolls sideways: {seen['scroll']}")
        problems += [f"/{slug} clips {c}" for c in seen["clipped"]]
    return problems


def test_zoom_200_percent(page, server: str) -> None:  # noqa: ANN001
    sign_in(page, server, "steward")
    page.set_viewport_size({"width": 640, "height": 450})
    assert _check(page, server, "") == []


def test_text_spacing(page, server: str) -> None:  # noqa: ANN001
    sign_in(page, server, "steward")
    assert _check(page, server, SPACING) == []
