"""The REST API under concurrent clients: uvicorn started on a free loopback port by the
harness, an admin API key created through the domain model, then, per endpoint, N concurrent
httpx clients for at most `seconds` and `max_requests`; latency percentiles and throughput.
The server is stopped at the end."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, select

from benchmarks.env import ROOT, load
from healthai.db import get_engine, session_scope

API_KEY_NAME = "benchmark"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def server(cmd: list[str], probe: str, log: Path) -> Iterator[None]:
    """A server process (own process group) answering at `probe`; stopped afterwards."""
    with log.open("w") as fh:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_up(probe)
            yield
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def create_api_key(db_url: str) -> str:
    """An admin API key, made as `POST /api-keys` makes it (only its hash is stored)."""
    from api.security import hash_api_key, new_api_key
    from healthai.models import ApiKey

    key = new_api_key()
    with session_scope(get_engine(db_url)) as session:
        session.add(
            ApiKey(name=API_KEY_NAME, prefix=key[:12], key_hash=hash_api_key(key), role="admin")
        )
    return key


def sample_ids(db_url: str, n: int = 500) -> tuple[list[int], list[int], int]:
    """Random measurement ids, user ids with measurements, and the measurement count."""
    from healthai.models import BiometricMeasurement, User

    with session_scope(get_engine(db_url)) as session:
        lo, hi, count = session.execute(
            select(
                func.min(BiometricMeasurement.id),
                func.max(BiometricMeasurement.id),
                func.count(),
            )
        ).one()
        users = list(session.scalars(select(User.id).order_by(User.id)))
    rng = random.Random(7)
    ids = [rng.randint(lo, hi) for _ in range(n)] if lo is not None else [1]
    return ids, users or [1], int(count)


def analytics_routes() -> tuple[list[tuple[str, bool]], list[str]]:
    """Every GET route of the analytics router (paths include its prefix) and whether it takes
    a `date_from`/`date_to` range, from the application itself, so endpoints added later are
    measured too; routes with path parameters are listed as skipped."""
    from fastapi.routing import APIRoute

    from api.routers import analytics

    paths: list[tuple[str, bool]] = []
    skipped: list[str] = []
    for route in analytics.router.routes:
        if isinstance(route, APIRoute) and "GET" in route.methods:
            if "{" in route.path:
                skipped.append(route.path)
                continue
            names = {p.name for p in route.dependant.query_params}
            paths.append((route.path, {"date_from", "date_to"} <= names))
    return sorted(paths), sorted(skipped)


async def _hammer(
    base: str,
    key: str,
    make_url: Callable[[random.Random], str],
    concurrency: int,
    seconds: float,
    max_requests: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    issued = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers={"X-API-Key": key}, limits=limits, timeout=60
    ) as client:
        # one warm-up request (connection, first query plan), not counted
        await client.get(make_url(random.Random(0)))
        deadline = time.perf_counter() + seconds

        async def worker(n: int) -> None:
            nonlocal issued, errors
            rng = random.Random(n)
            while time.perf_counter() < deadline and issued < max_requests:
                issued += 1
                began = time.perf_counter()
                try:
                    response = await client.get(make_url(rng))
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else None,
        "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
        "p95_ms": round(float(np.percentile(ms, 95)), 1) if len(ms) else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 1) if len(ms) else None,
        "max_ms": round(float(ms.max()), 1) if len(ms) else None,
        "concurrency": concurrency,
        "load_avg": load(),
    }


def run(
    db_url: str,
    work: Path,
    concurrency: int,
    analytics_concurrency: int,
    seconds: float,
    max_requests: int,
    workers: int,
    period: tuple[date, date],
) -> dict[str, Any]:
    """`period`: the date range asked of the analytics that take one (the last 30 days of the
    data, say), measured besides the same endpoint without a range."""
    key = create_api_key(db_url)
    ids, users, count = sample_ids(db_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    cmd += ["--no-access-log"]
    routes, skipped = analytics_routes()
    endpoints: list[tuple[str, str, Callable[[random.Random], str], int]] = [
        (
            "list",
            "GET /metrics?limit=50&offset=<random page of the first 200>",
            lambda r: f"/metrics?limit=50&offset={50 * r.randrange(200)}",
            concurrency,
        ),
        (
            "detail",
            "GET /metrics/{id} (random id)",
            lambda r: f"/metrics/{r.choice(ids)}",
            concurrency,
        ),
        (
            "filtered",
            "GET /metrics?user_id=<random>&metric=weight_kg&sort=-measured_at&limit=50",
            lambda r: (
                f"/metrics?user_id={r.choice(users)}&metric=weight_kg&sort=-measured_at&limit=50"
            ),
            concurrency,
        ),
    ]
    for url, ranged in routes:
        endpoints.append(
            (f"analytics {url}", f"GET {url}", lambda _r, u=url: u, analytics_concurrency)
        )
        if ranged:
            query = f"{url}?date_from={period[0].isoformat()}&date_to={period[1].isoformat()}"
            endpoints.append(
                (f"analytics {query}", f"GET {query}", lambda _r, u=query: u, analytics_concurrency)
            )
    results = []
    with server(cmd, f"{base}/health", work / "logs" / "uvicorn.log"):
        for name, request, make_url, conc in endpoints:
            stats = asyncio.run(_hammer(base, key, make_url, conc, seconds, max_requests))
            kind = "analytics" if name.startswith("analytics") else name
            results.append({"endpoint": name, "kind": kind, "request": request, **stats})
    return {
        "measurement_rows": count,
        "server": f"uvicorn api.main:app, {workers} worker(s), loopback",
        "bounds": {"seconds_per_endpoint": seconds, "max_requests_per_endpoint": max_requests},
        "skipped_routes": skipped,
        "endpoints": results,
    }
