"""Server time to render each web page: the Panel server (`python -m dashboard.serve`)
started by the harness, each page fetched over HTTP with a signed-in admin's cookie. A
Bokeh/Panel server builds the page's whole document (every query of the page included)
while it answers that GET, so the GET's duration is the server's render time."""

from __future__ import annotations

import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.api_load import free_port, server
from benchmarks.env import load
from healthai.db import get_engine, session_scope

ERROR_MARK = "internal error"


@contextmanager
def admin_cookie(db_url: str) -> Iterator[str]:
    """The cookie the dashboard's sign-in sets (a signed access token) of an admin account
    made for this run, disabled afterwards (so runs on a kept database do not pile up live
    accounts)."""
    from dashboard.auth import COOKIE
    from healthai.access import create_token, hash_password
    from healthai.models import ApiAccount
    from healthai.settings import get_settings

    with session_scope(get_engine(db_url)) as session:
        account = ApiAccount(
            username=f"benchmark-admin-{secrets.token_hex(4)}",
            role="admin",
            is_active=True,
            password_hash=hash_password("benchmark-only-not-a-login"),
        )
        session.add(account)
        session.flush()
        account_id = account.id
        token, _jti, _exp = create_token(get_settings(), account.id, 0)
    try:
        yield f"{COOKIE}={token}"
    finally:
        with session_scope(get_engine(db_url)) as session:
            session.get(ApiAccount, account_id).is_active = False


def run(db_url: str, work: Path, repeats: int) -> dict[str, Any]:
    from dashboard.shell import PAGES

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "dashboard.serve", "--address", "127.0.0.1", "--port", str(port)]
    pages = []
    with (
        admin_cookie(db_url) as cookie,
        server(cmd, f"{base}/connexion", work / "logs" / "dashboard.log"),
        httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=120) as client,
    ):
        for slug in PAGES:
            times, statuses, failed = [], [], False
            for _ in range(1 + repeats):  # the first is the cold render, then warm ones
                began = time.perf_counter()
                response = client.get(f"/{slug}")
                times.append(time.perf_counter() - began)
                statuses.append(response.status_code)
                failed |= response.status_code != 200 or ERROR_MARK in response.text.lower()
            warm = times[1:] or times
            pages.append(
                {
                    "page": f"/{slug}",
                    "cold_s": round(times[0], 3),
                    "median_s": round(statistics.median(warm), 3),
                    "max_s": round(max(warm), 3),
                    "ok": not failed,
                    "statuses": statuses,
                    "load_avg": load(),
                }
            )
    return {
        "method": "HTTP GET of each page with a signed-in admin's cookie against "
        "`python -m dashboard.serve` (the server builds the page's document, queries "
        "included, during the GET); one cold fetch then the median and maximum of the "
        f"next {repeats}",
        "pages": pages,
    }
