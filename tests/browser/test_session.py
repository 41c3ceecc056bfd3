"""Finding 4 (WCAG 2.2.1; RGAA 13.1): a session that is about to end says so, and the keyboard
extends it. Sessions last one minute here and the warning comes 45 s before the end, so it
shows about 15 s after signing in."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from dashboard.auth import COOKIE
from tests.browser.helpers import assert_axe_clean, deep_active, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"ACCESS_TOKEN_MINUTES": "1", "DASHBOARD_SESSION_WARNING_SECONDS": "45"}


def _expiry(page: Any) -> int:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]


def test_session_end_is_announced_and_extended_from_the_keyboard(
    page,  # noqa: ANN001
    server: str,
) -> None:
    sign_in(page, server, "steward")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    first = _expiry(page)
    alert = page.locator("#alerte-session[role=alert]")
    alert.get_by_role("button", name="Prolonger la session").wait_for(timeout=40000)
    assert "Votre session se termine à" in alert.inner_text()
    assert_axe_clean(page, "with the session warning shown")
    screenshot(page, "session-avertissement")
    # the keyboard reaches the button (it is in the main content, right after the heading)
    page.keyboard.press("Shift+Tab")  # leave whatever had the focus
    for _ in range(40):
        page.keyboard.press("Tab")
        if deep_active(page)["text"] == "Prolonger la session":
            break
    assert deep_active(page)["text"] == "Prolonger la session"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('annonces').textContent.includes('Session prolongée')"
    )
    assert alert.inner_text().strip() == ""
    assert _expiry(page) > first  # a fresh session in the cookie
    # the extension is refused to another site's script or a plain form (no custom header)
    refused = page.context.request.post(f"{server}/session/prolonger")
    assert refused.status == 403
    assert page.console_errors == []


def test_ended_session_says_so_and_links_to_sign_in(page, server: str) -> None:  # noqa: ANN001
    """Without an extension, at the end the page says the session ended and links back."""
    sign_in(page, server, "steward")
    page.goto(f"{server}/vue-ensemble")
    wait_ready(page)
    page.context.clear_cookies()  # the server no longer knows this session
    alert = page.locator("#alerte-session[role=alert]")
    alert.get_by_role("button", name="Prolonger la session").wait_for(timeout=40000)
    alert.get_by_role("button", name="Prolonger la session").click()
    link = alert.get_by_role("link", name="Se connecter")
    link.wait_for(timeout=10000)
    assert "next=%2Fvue-ensemble" in link.get_attribute("href")
    assert "session est terminée" in alert.inner_text()
