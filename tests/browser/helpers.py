"""Browser helpers: sign in, wait for a Panel page, run axe, check the page's structure,
and move focus with the keyboard only."""

from __future__ import annotations

import contextlib
from typing import Any

from tests.browser.conftest import AXE, HERE, PASSWORD, SCREENSHOTS

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_SOURCE = AXE.read_text(encoding="utf-8")

DEEP_ACTIVE = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return null;
  const root = el.getRootNode();
  let label = "";
  if (el.id && root.querySelector) {
    const l = root.querySelector(`label[for="${el.id}"]`);
    if (l) label = l.textContent;
  }
  if (!label && root.querySelector) {
    const l = root.querySelector("label");
    if (l) label = l.textContent;
  }
  return {tag: el.tagName.toLowerCase(), text: (el.textContent || "").trim(),
          label: label.trim(), value: el.value === undefined ? null : el.value,
          type: el.getAttribute("type")};
}"""


def wait_ready(page: Any, settle_ms: int = 400) -> None:
    """Wait until the Bokeh document has rendered its roots into the page."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents && Bokeh.documents.length > 0 "
        "&& document.querySelector('main [data-root-id], main .bk-panel-models-layout-Column')",
        timeout=30000,
    )
    page.wait_for_timeout(settle_ms)


def sign_in(page: Any, base: str, user: str) -> None:
    page.goto(f"{base}/connexion")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_load_state("load")


def axe(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SOURCE)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
    ]


def assert_axe_clean(page: Any, when: str) -> None:
    violations = axe(page)
    assert violations == [], f"axe violations {when}: {violations}"


def structure(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => ({
      lang: document.documentElement.lang,
      title: document.title,
      h1: document.querySelectorAll('h1').length,
      header: document.querySelectorAll('body > header').length,
      nav: [...document.querySelectorAll('nav')].map(n => n.getAttribute('aria-label')),
      main: document.querySelectorAll('main#contenu').length,
      footer: document.querySelectorAll('body > footer').length,
      status: !!document.querySelector('#annonces[role=status][aria-live=polite]'),
      skip: document.querySelector('a.skip-link') &&
            document.querySelector('a.skip-link').getAttribute('href'),
    })"""
    )


CANVAS_COUNT = """() => {
      let all = 0, hidden = 0;
      const walk = (root) => {
        root.querySelectorAll('canvas').forEach(c => {
          all++;
          if (c.closest('[aria-hidden=true]') || c.getAttribute('aria-hidden') === 'true') hidden++;
        });
        root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) walk(e.shadowRoot); });
      };
      walk(document);
      return [all, hidden];
    }"""


def canvases_hidden(page: Any) -> tuple[int, int]:
    """(canvases, canvases hidden from assistive technologies), through shadow roots; the
    page's script hides a chart's canvas within a quarter of a second of its drawing."""
    with contextlib.suppress(Exception):  # the caller asserts on the counts
        page.wait_for_function(
            f"() => {{ const [a, h] = ({CANVAS_COUNT})(); return a === h; }}", timeout=3000
        )
    return tuple(page.evaluate(CANVAS_COUNT))


def deep_active(page: Any) -> dict[str, Any] | None:
    return page.evaluate(DEEP_ACTIVE)


def tab_to(page: Any, match: Any, limit: int = 120, reverse: bool = False) -> dict[str, Any]:
    """Press Tab until the focused element satisfies `match(info)`; return its info."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if reverse else "Tab")
        info = deep_active(page)
        if info and match(info):
            return info
    raise AssertionError("could not reach the wanted control with the Tab key")


def live_text(page: Any) -> str:
    return page.evaluate("() => document.getElementById('annonces').textContent")


def screenshot(page: Any, name: str) -> None:
    folder = getattr(page, "screenshots", SCREENSHOTS)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def focused_node(cdp: Any) -> tuple[str, str] | None:
    """(role, accessible name) of the focused element, as Chromium's accessibility tree
    (what screen readers get) gives them."""
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        role = node.get("role", {}).get("value")
        if role == "RootWebArea":
            continue
        for prop in node.get("properties", []):
            if prop["name"] == "focused" and prop["value"].get("value"):
                return role, (node.get("name", {}).get("value") or "").strip()
    return None


def tab_stops(page: Any, limit: int = 250) -> list[dict[str, Any]]:
    """Every stop of the page's tab order, from the top, once: element, role and accessible
    name (Chromium's), and the focus indicator drawn (outline colour, width, background)."""
    cdp = page.context.new_cdp_session(page)
    page.evaluate(
        "() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }"
    )
    page.mouse.click(1, 1)  # start from the top of the document
    stops: list[dict[str, Any]] = []
    seen = 0
    try:
        for _ in range(limit):
            page.keyboard.press("Tab")
            info = measure(page, "focusStyle")
            if info is None:
                break  # focus left the document: the end of the tab order
            if stops and info["path"] == stops[0]["path"]:
                break
            role_name = focused_node(cdp)
            info["role"], info["name"] = role_name if role_name else (None, "")
            stops.append(info)
            seen += 1
    finally:
        cdp.detach()
    return stops


MEASURE_SOURCE = (HERE / "measure.js").read_text(encoding="utf-8")


def measure(page: Any, name: str) -> Any:
    """Run one of tests/browser/measure.js's functions in the page (injected once)."""
    if not page.evaluate("() => typeof window.__measure !== 'undefined'"):
        page.add_script_tag(content=MEASURE_SOURCE)
    return page.evaluate(f"() => window.__measure.{name}()")


def control_borders(page: Any) -> list[dict[str, Any]]:
    """Each visible form control: its border (width, colour) and the contrast that tells it
    apart from what surrounds it (its border, or its own fill, against the background behind:
    WCAG 1.4.11), and its text size."""
    return measure(page, "borders")


def main_text(page: Any) -> str:
    """The visible text of the main content through every shadow root, leaving out passages
    marked with a language of their own."""
    return measure(page, "mainText")
