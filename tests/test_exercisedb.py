"""ExerciseDB through its REST API, served locally (127.0.0.1) from the reference dataset:
both paging shapes, retries on injected 429/500, Retry-After, rate limit, the network down,
and the whole source through the real Dagster assets. No test touches the internet."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assets.resources import HttpApi
from healthai.models import Batch, IngestionRun, QuarantinedRow, metadata
from healthai.pipeline import batches
from healthai.pipeline.http_source import ApiClient, FetchError, HttpPolicy, RateLimiter
from healthai.settings import PROJECT_ROOT, get_settings
from healthai.sources import exercisedb
from healthai.sources.vocabulary import muscle_name
from tests.api_server import ApiState, closed_port_url, serve_api
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, materialize_sources, session_for

FAST = HttpPolicy(timeout_s=5, max_attempts=4, backoff_s=0.01, requests_per_second=0, page_size=100)


@pytest.fixture(scope="module")
def records(shared_datasets: Path) -> list[dict]:
    return json.loads((shared_datasets / "exercisedb" / "exercises.json").read_text())


# The same policy as the `exercisedb_api` resource the assets are given (no patched global).
FAST_API = {
    "exercisedb_api": HttpApi(
        timeout_s=5, max_attempts=4, backoff_s=0.01, requests_per_second=0, page_size=100
    )
}


def test_offset_paging_with_injected_429_and_500(records: list[dict]) -> None:
    state = ApiState(records, "offset", failures=[(429, {"Retry-After": "0"}), (500, {})])
    slept: list[float] = []
    with serve_api(state) as url, ApiClient(url, FAST, sleep=slept.append) as client:
        got = client.fetch_all(exercisedb.ENDPOINT)
    assert [r["exerciseId"] for r in got] == [r["exerciseId"] for r in records]
    assert client.retries == 2 and client.requests == 15 + 2  # 1,500 / 100 pages + 2 retries
    assert slept[0] == 0  # Retry-After honoured
    assert 0.01 < slept[1] < 0.03  # then exponential backoff (0.02 with 10 % jitter)
    assert "offset=1400" in state.requests[-1]


def test_cursor_paging_gives_the_same_bytes(records: list[dict], tmp_path: Path) -> None:
    pages = {}
    for shape in ("offset", "cursor"):
        state = ApiState(records, shape, failures=[(503, {})])
        with serve_api(state) as url, ApiClient(url, FAST, sleep=lambda _s: None) as client:
            pages[shape] = client.fetch_all(exercisedb.ENDPOINT)
        assert any("after=" in r for r in state.requests) == (shape == "cursor")
    assert pages["offset"] == pages["cursor"]
    assert len(pages["cursor"]) == len(records)


def test_retry_after_is_honoured_and_capped() -> None:
    records = [{"exerciseId": "a1", "name": "x"}]
    slept: list[float] = []
    policy = HttpPolicy(max_attempts=3, backoff_s=0.01, max_backoff_s=5, requests_per_second=0)
    state = ApiState(records, failures=[(429, {"Retry-After": "2"}), (429, {"Retry-After": "90"})])
    with serve_api(state) as url, ApiClient(url, policy, sleep=slept.append) as client:
        assert client.fetch_all(exercisedb.ENDPOINT) == records
    assert slept == [2.0, 5.0]


def test_client_errors_are_not_retried_and_persistent_5xx_fail_clearly() -> None:
    state = ApiState([], failures=[(404, {})])
    with (
        serve_api(state) as url,
        ApiClient(url, FAST, sleep=lambda _s: None) as client,
        pytest.raises(FetchError, match="HTTP 404 \\(not retried\\)"),
    ):
        client.fetch_all(exercisedb.ENDPOINT)
    assert len(state.requests) == 1
    state = ApiState([], failures=[(500, {})] * 10)
    with (
        serve_api(state) as url,
        ApiClient(url, FAST, sleep=lambda _s: None) as client,
        pytest.raises(FetchError, match="failed after 4 attempts; last error: HTTP 500"),
    ):
        client.fetch_all(exercisedb.ENDPOINT)


def test_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.wait()
    assert waits == [0.25, 0.25, 0.25, 0.25]


def test_network_down_fails_clearly(tmp_path: Path) -> None:
    settings = get_settings().model_copy(
        update={"exercisedb_url": closed_port_url(), "landing_dir": tmp_path}
    )
    with pytest.raises(FetchError, match="failed after 4 attempts; last error: ConnectError"):
        exercisedb.fetch(settings, policy=FAST)
    assert not (tmp_path / "exercisedb").exists() or not any((tmp_path / "exercisedb").iterdir())


def test_disabled_without_url(tmp_path: Path) -> None:
    settings = get_settings().model_copy(update={"exercisedb_url": "", "landing_dir": tmp_path})
    assert exercisedb.fetch(settings) is None


def test_same_response_lands_once(records: list[dict], tmp_path: Path) -> None:
    settings = get_settings().model_copy(update={"landing_dir": tmp_path})
    state = ApiState(records[:120], "offset")
    with serve_api(state) as url:
        settings = settings.model_copy(update={"exercisedb_url": url})
        first = exercisedb.fetch(settings, policy=FAST)
        state.shape = "cursor"
        second = exercisedb.fetch(settings, policy=FAST)
    assert first.path is not None and first.records == 120
    assert second.path is None and second.already_landed == first.path
    assert second.sha256 == first.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ end to end (Dagster)
def expected(records: list[dict]) -> dict[str, int]:
    """Counted here, independently of the source module: exact copies under another id,
    and distinct (exercise, canonical muscle) links with the target winning."""
    seen, copies, links = set(), 0, 0
    for r in records:
        content = json.dumps({k: v for k, v in r.items() if k not in ("exerciseId", "gifUrl")})
        if content in seen:
            copies += 1
            continue
        seen.add(content)
        links += len({muscle_name(m) for m in r["targetMuscles"] + r["secondaryMuscles"]})
    return {"rows": len(records), "copies": copies, "links": links}


def approve_all(db_url: str) -> list[int]:
    with session_for(db_url) as session:
        ids = list(session.scalars(select(Batch.id).where(Batch.status == "audited")))
        for batch_id in ids:
            batches.approve(session, batch_id, "steward@test")
            batches.publish(session, batch_id, "steward@test")
    return ids


@pytest.mark.parametrize("engine", ENGINES)
def test_api_source_end_to_end(
    engine: str,
    platform: str,
    records: list[dict],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the public-domain catalogue first, so that ExerciseDB exercises can be matched to it
    assert materialize_sources(platform, "free_exercise_db").success
    approve_all(platform)
    state = ApiState(records, "cursor", failures=[(429, {"Retry-After": "0"}), (502, {})])
    with serve_api(state) as url:
        monkeypatch.setenv("EXERCISEDB_URL", url)
        get_settings.cache_clear()
        # the fetch step runs first in the source's own job, then the file is ingested
        assert materialize_sources(platform, "exercisedb", resources=FAST_API).success
    approve_all(platform)

    exp = expected(records)
    free = len(json.loads((PROJECT_ROOT / "raw/free_exercise_db/exercises.json").read_text()))
    published = exp["rows"] - exp["copies"]
    assert count(platform, "exercises") == free + published
    with session_for(platform) as session:
        run = session.scalar(
            select(IngestionRun).join(IngestionRun.source).where(IngestionRun.rows_in > 0)
            .order_by(IngestionRun.id.desc())
        )  # fmt: skip
        assert run.source.name == "exercisedb"
        assert (run.rows_in, run.rows_quarantined, run.rows_published) == (
            exp["rows"], exp["copies"], published
        )  # fmt: skip
        reasons = {r["rule"] for q in session.scalars(select(QuarantinedRow)) for r in q.reasons}
        assert reasons == {"same_exercise_under_another_id"}
        ex = metadata.tables["exercises"]
        em = metadata.tables["exercise_muscles"]
        rows = session.execute(
            select(ex.c.id, ex.c.name, ex.c.instructions, ex.c.same_as_id, ex.c.source_sha256)
            .where(ex.c.source == "exercisedb")
        ).all()  # fmt: skip
        links = session.scalar(
            select(func.count()).select_from(em).join(ex, ex.c.id == em.c.exercise_id)
            .where(ex.c.source == "exercisedb")
        )  # fmt: skip
        assert links == exp["links"]
        assert not any("в°" in r.name for r in rows)
        assert sum("°" in r.name for r in rows) == 7
        assert not any(r.instructions and "Step:" in r.instructions for r in rows)
        matched = [r for r in rows if r.same_as_id is not None]
        assert 150 < len(matched) < 400  # 232 on the reference data
        assert len({r.source_sha256 for r in rows}) == 1  # the API response's fingerprint
        names = dict(session.execute(select(ex.c.id, ex.c.name)).all())
        pull_up = next(r for r in matched if r.name == "pull-up")
        assert names[pull_up.same_as_id] == "Pullups"


@pytest.mark.parametrize("engine", ["sqlite"])
def test_network_down_source_fails_and_others_go_on(
    engine: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXERCISEDB_URL", closed_port_url())
    get_settings.cache_clear()
    result = materialize_sources(
        platform, resources=FAST_API
    )  # every source, exercisedb's API unreachable
    assert result.success  # like a refused file: visible, without failing the whole run
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in result.get_asset_check_evaluations()
    }
    check = checks[("exercisedb_fetched", "api_read")]
    assert not check.passed
    assert "failed after 4 attempts; last error: ConnectError" in check.description
    with session_for(platform) as session:
        runs = list(session.scalars(select(IngestionRun)))
        failed = [r for r in runs if r.status == "failed"]
        assert [r.source.name for r in failed] == ["exercisedb"]
        assert "ConnectError" in failed[0].error
        staged = {b.source.name for b in session.scalars(select(Batch))}
        assert {"free_exercise_db", "gym_members"} <= staged and "exercisedb" not in staged
    assert count(platform, "exercises") == 0  # nothing published before approval
