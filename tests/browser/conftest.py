"""Browser fixtures: one database with real published data (the pipeline's own assets, then a
human approval), the dashboard served on a free port, and Debian's headless Chromium driven by
Playwright (no browser download) with axe-core from tests/browser/node_modules."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.conftest import fresh_database

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
PASSWORD = "motdepasse-de-test-1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_engine() -> str:
    """The database engine a module's browser tests run on; a module overrides this fixture
    to run the same tests on PostgreSQL (tests/browser/test_postgres.py)."""
    return "sqlite"


@pytest.fixture(scope="module")
def dashboard_db(
    tmp_path_factory: pytest.TempPathFactory, dashboard_engine: str, pg_available: bool
) -> Iterator[dict[str, str]]:
    """The `platform` fixture's setup, for a whole module: a migrated database of
    `dashboard_engine` and private folders; gym_members ingested and published (approved by a
    steward), the exercise catalogue ingested and left audited (to review), quarantined rows
    left open (to correct); an organisation with 100 members; one account per role."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: run scripts/install_test_deps.sh")
    if not AXE.exists():
        pytest.skip("axe-core missing: run scripts/install_test_deps.sh")
    tmp = tmp_path_factory.mktemp("dashboard")
    with fresh_database(dashboard_engine, tmp, pg_available) as url:
        yield from _populated(url, tmp)


def _populated(url: str, tmp: Path) -> Iterator[dict[str, str]]:
    env = {
        "DATABASE_URL": url,
        "VAR_DIR": str(tmp / "var"),
        "RAW_STORE_DIR": str(tmp / "raw_store"),
        "LANDING_DIR": str(tmp / "landing"),
        "AUTO_APPROVE_SOURCES": "",
    }
    from healthai.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        get_settings.cache_clear()
        from healthai import migrate
        from healthai.access import hash_password
        from healthai.models import Batch, Organisation, Source, User
        from healthai.models.accounts import ApiAccount
        from healthai.pipeline import batches
        from tests.pipeline_helpers import materialize_sources, session_for

        migrate.upgrade(url)
        assert materialize_sources(url, "gym_members", "free_exercise_db").success
        with session_for(url) as session:
            gym = session.scalar(select(Batch.id).join(Source).where(Source.name == "gym_members"))
            batches.approve(session, gym, "steward@pipeline")
            batches.publish(session, gym, "steward@pipeline")
            org = Organisation(slug="salle-test", name="Salle Test", kind="gym")
            session.add(org)
            session.flush()
            session.execute(update(User).where(User.id <= 100).values(organisation_id=org.id))
            hashed = hash_password(PASSWORD)
            for name, role in (("steward", "steward"), ("analyst", "analyst"), ("admin", "admin")):
                session.add(ApiAccount(username=name, password_hash=hashed, role=role))
            session.add(
                ApiAccount(
                    username="partner", password_hash=hashed, role="partner", organisation_id=org.id
                )
            )
            env["ORG_ID"] = str(org.id)
        yield env
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Extra environment of a module's dashboard server (a module overrides it: e.g. short
    sessions for the session-expiry tests)."""
    return {}


@pytest.fixture(scope="module")
def server(dashboard_db: dict[str, str], server_env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        **dashboard_db,
        "DASHBOARD_QUALITY_REFRESH_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
        **server_env,
    }
    log = open(dashboard_db["VAR_DIR"] + ".server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.serve", "--address", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/connexion", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"dashboard did not start: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.5)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="fr-FR",
        )
        yield context
        context.close()


@pytest.fixture
def page(  # noqa: ANN201
    browser_context,  # noqa: ANN001
    server: str,
    dashboard_engine: str,
    tmp_path_factory: pytest.TempPathFactory,
):
    context = browser_context
    context.clear_cookies()
    pg = context.new_page()
    # the screenshots the docs use come from the default engine; the others' are kept apart
    pg.screenshots = (
        SCREENSHOTS
        if dashboard_engine == "sqlite"
        else tmp_path_factory.mktemp(f"screenshots-{dashboard_engine}")
    )
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    pg.close()


SCREENSHOTS.mkdir(parents=True, exist_ok=True)
