"""The OpenAPI documentation pages (Swagger UI at /docs, ReDoc at /redoc) work without internet
access: they name no other host, every file they load is served by the API itself (from the
fastapi-offline package), and in headless Chromium, with every request to another host
refused, both pages render the API's documentation."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.main import create_app
from healthai.settings import Settings

CHROMIUM = "/usr/bin/chromium"
PAGES = ("/docs", "/redoc")
REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    # the documentation needs no database: an empty SQLite file is enough
    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'healthai.db'}"
    return create_app(Settings(database_url=url))


@pytest.mark.parametrize("page", PAGES)
def test_docs_page_names_no_other_host_and_its_files_answer(app, page: str) -> None:  # noqa: ANN001
    client = TestClient(app)
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html and "https://" not in html, html
    references = REFERENCE.findall(html)
    assert "/openapi.json" in references
    files = [r for r in references if r != "/openapi.json"]
    assert any(r.endswith(".js") for r in files), references
    for ref in files:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 1000, ref
    assert "http" not in response.headers["content-security-policy"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(app) -> Iterator[str]:  # noqa: ANN001
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("page", "rendered"),
    [
        # Swagger UI: the title block and one operation per route
        ("/docs", ".swagger-ui .info .title"),
        # ReDoc: the API's title in its content pane
        ("/redoc", ".api-content h1"),
    ],
)
def test_docs_page_renders_offline_in_chromium(
    served: str, page: str, rendered: str, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: run scripts/install_test_deps.sh")
    from playwright.sync_api import sync_playwright

    elsewhere: list[str] = []
    errors: list[str] = []

    def only_this_server(route) -> None:  # noqa: ANN001
        if urlsplit(route.request.url).netloc == urlsplit(served).netloc:
            route.continue_()
        else:  # what a machine without internet access would get
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page()
            tab.route("**/*", only_this_server)
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(served + page)
            title = tab.wait_for_selector(rendered, timeout=30_000)
            assert "HealthAI Coach API" in title.inner_text()
            if page == "/docs":
                tab.wait_for_selector(".opblock", timeout=30_000)
                assert tab.locator(".opblock").count() > 20
            else:
                assert tab.locator("[data-section-id^='operation/']").count() > 20
        finally:
            browser.close()
    assert elsewhere == []
    # ReDoc's built-in "API docs by Redocly" footer points its logo at cdn.redoc.ly: the
    # Content-Security-Policy refuses it before any request and the logo hides itself
    assert [e for e in errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e] == []
