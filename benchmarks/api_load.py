"""The REST API under concurrent clients: the API served as in production (uvicorn,
`workers` processes, as API_WORKERS in docker-compose.yml) on a free loopback port by the
harness, an admin API key created through the domain model, then, per endpoint, N concurrent
closed-loop clients (aiohttp, one keep-alive connection each) for at most `seconds` and
`max_requests`; latency percentiles, throughput, and the CPU the server processes and the
client spent per request. The server is stopped and the key revoked at the end.

The client is aiohttp, not httpx: on this project's two-core machines an httpx client at 50
connections spent ~3.5 ms of CPU per request (aiohttp ~0.2 ms), taken from the server it
measures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import numpy as np
import psutil
from sqlalchemy import func, select

from benchmarks.env import ROOT, load
from healthai.db import get_engine, session_scope
from healthai.settings import get_settings

API_KEY_NAME = "benchmark"
KINDS = ("list", "detail", "filtered", "analytics", "conditional")


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


def wait_for_workers(log: Path, workers: int, timeout: float = 90.0) -> None:
    """Wait until every uvicorn worker has started (its startup line in `log`): a worker
    starting late would get none of the clients' keep-alive connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count("Application startup complete") >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{workers} API workers did not all start within {timeout:.0f} s")


@contextmanager
def server(cmd: list[str], probe: str, log: Path) -> Iterator[int]:
    """A server process (own process group) answering at `probe`, yielding its process id;
    stopped afterwards."""
    with log.open("w") as fh:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_up(probe)
            yield proc.pid
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def create_api_key(db_url: str) -> tuple[int, str]:
    """An admin API key (id, key), made as `POST /api-keys` makes it (only its hash is stored),
    owned by an admin account of its own (a key acts as its owner); both named uniquely, so
    that a database can be measured more than once."""
    from healthai.access import hash_api_key, hash_password, new_api_key
    from healthai.models import ApiAccount, ApiKey

    key = new_api_key()
    with session_scope(get_engine(db_url)) as session:
        owner = ApiAccount(
            username=f"{API_KEY_NAME}-{key[-8:].lower().replace('_', 'x').replace('-', 'x')}",
            role="admin",
            is_active=True,
            password_hash=hash_password(new_api_key()),
        )
        session.add(owner)
        session.flush()
        row = ApiKey(
            name=f"{API_KEY_NAME}-{key[-8:]}",
            prefix=key[:12],
            key_hash=hash_api_key(key),
            account_id=owner.id,
        )
        session.add(row)
        session.flush()
        return row.id, key


def revoke_api_key(db_url: str, key_id: int) -> None:
    """Revoke the key and disable the account it acted as."""
    from healthai.models import ApiAccount, ApiKey

    with session_scope(get_engine(db_url)) as session:
        row = session.get_one(ApiKey, key_id)
        row.revoked_at = datetime.now(UTC)
        session.get_one(ApiAccount, row.account_id).is_active = False


def sample_ids(db_url: str, n: int = 500) -> tuple[list[int], list[int], int]:
    """Random existing measurement ids, user ids with measurements, and the measurement
    count. Measurement ids are sparse (reading id * 8 + the metric's rank): random readings
    are drawn, then their measurements' ids read through the view."""
    from healthai.models import BiometricMeasurement, BiometricReading, User

    with session_scope(get_engine(db_url)) as session:
        lo, hi = session.execute(
            select(func.min(BiometricReading.id), func.max(BiometricReading.id))
        ).one()
        count = session.scalar(select(func.count()).select_from(BiometricMeasurement))
        users = list(session.scalars(select(User.id).order_by(User.id)))
        rng = random.Random(7)
        readings = sorted({rng.randint(lo, hi) for _ in range(n)}) if lo is not None else []
        ids = list(
            session.scalars(
                select(BiometricMeasurement.id).where(BiometricMeasurement.reading_id.in_(readings))
            )
        )
    rng.shuffle(ids)
    return ids[:n] or [1], users or [1], int(count or 0)


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


def _etag(url: str, key: str) -> str:
    """The ETag of an answer, read once."""
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, headers={"X-API-Key": key})) as r:
        return str(r.headers["ETag"])


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` and its children (uvicorn's workers)."""
    total = 0.0
    try:
        parent = psutil.Process(pid)
        for proc in [parent, *parent.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
    except psutil.NoSuchProcess:
        pass
    return total


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _hammer(
    base: str,
    key: str,
    make_url: Callable[[random.Random], str],
    concurrency: int,
    seconds: float,
    max_requests: int,
    server_pid: int | None = None,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    issued = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        base, headers={"X-API-Key": key}, connector=connector, timeout=timeout
    ) as client:

        async def fetch(url: str) -> int:
            async with client.get(url, headers=headers) as response:
                await response.read()
                return response.status

        # warm-up, not counted: one request per client (its connection, every worker's pool
        # and first query plans); a warm-up request that fails or times out (a loaded
        # machine) is not a result and does not stop the run
        await asyncio.gather(
            *(fetch(make_url(random.Random(-n))) for n in range(concurrency)),
            return_exceptions=True,
        )
        deadline = time.perf_counter() + seconds

        async def worker(n: int) -> None:
            nonlocal issued, errors
            rng = random.Random(n)
            while time.perf_counter() < deadline and issued < max_requests:
                issued += 1
                began = time.perf_counter()
                try:
                    status = await fetch(make_url(rng))
                    statuses[status] = statuses.get(status, 0) + 1
                    if status != expect:
                        errors += 1
                except (aiohttp.ClientError, TimeoutError):
                    errors += 1
                latencies.append(time.perf_counter() - began)

        server_cpu = _cpu_seconds(server_pid) if server_pid else None
        client_cpu = _own_cpu_seconds()
        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
        client_cpu = _own_cpu_seconds() - client_cpu
        if server_pid:
            server_cpu = _cpu_seconds(server_pid) - (server_cpu or 0.0)
    ms = np.array(latencies) * 1000
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(elapsed, 2),
        "throughput_rps": round(n / elapsed, 1) if elapsed else None,
        "p50_ms": round(float(np.percentile(ms, 50)), 1) if n else None,
        "p95_ms": round(float(np.percentile(ms, 95)), 1) if n else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 1) if n else None,
        "max_ms": round(float(ms.max()), 1) if n else None,
        # CPU per request: the API's processes (PostgreSQL's not included) and the client's
        "server_cpu_ms": round(1000 * server_cpu / n, 2) if n and server_cpu is not None else None,
        "client_cpu_ms": round(1000 * client_cpu / n, 2) if n else None,
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
    kinds: Collection[str] = KINDS,
) -> dict[str, Any]:
    """`period`: the date range asked of the analytics that take one (the last 30 days of the
    data, say), measured besides the same endpoint without a range. `kinds`: which of list,
    detail, filtered and analytics to measure (all by default)."""
    key_id, key = create_api_key(db_url)
    ids, users, count = sample_ids(db_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "info"]
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
            "list",
            "GET /metrics?after=<random id>&limit=50 (by key)",
            lambda r: f"/metrics?after={r.choice(ids)}&limit=50",
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
    # conditional GETs whose copy is current (If-None-Match of the answer's ETag): 304s, the
    # cost of a repeat request (authentication, one version read, no query of the answer)
    conditional = [
        f"/analytics/users/progression?date_from={period[0].isoformat()}"
        f"&date_to={period[1].isoformat()}",
        "/foods?limit=50",
    ]
    results = []
    log = work / "logs" / "uvicorn.log"
    try:
        with server(cmd, f"{base}/health", log) as pid:
            wait_for_workers(log, workers)
            for name, request, make_url, conc in endpoints:
                kind = "analytics" if name.startswith("analytics") else name
                if kind not in kinds:
                    continue
                stats = asyncio.run(_hammer(base, key, make_url, conc, seconds, max_requests, pid))
                results.append({"endpoint": name, "kind": kind, "request": request, **stats})
            for url in conditional if "conditional" in kinds else []:
                etag = _etag(base + url, key)
                stats = asyncio.run(
                    _hammer(
                        base,
                        key,
                        lambda _r, u=url: u,
                        concurrency,
                        seconds,
                        max_requests,
                        pid,
                        headers={"If-None-Match": etag},
                        expect=304,
                    )
                )
                request = f"GET {url} (If-None-Match: current, 304)"
                results.append(
                    {"endpoint": f"304 {url}", "kind": "conditional", "request": request, **stats}
                )
    finally:
        revoke_api_key(db_url, key_id)
    settings = get_settings()
    return {
        "measurement_rows": count,
        "server": f"uvicorn api.main:app, {workers} worker(s), loopback",
        "workers": workers,
        "pool": {"size": settings.db_pool_size, "max_overflow": settings.db_max_overflow},
        "client": f"aiohttp {aiohttp.__version__}, in the harness process",
        "bounds": {"seconds_per_endpoint": seconds, "max_requests_per_endpoint": max_requests},
        "skipped_routes": skipped,
        "endpoints": results,
    }
