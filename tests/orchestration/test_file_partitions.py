"""Each landed file is a partition of its source (keyed by its SHA-256): the landing sensor
adds one partition and requests one run per new file, remembers what it saw in its cursor,
and the runs' counts add up; publication is requested again when it failed."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from sqlalchemy import select

from assets.automation import (
    PUBLICATION_TAG,
    landing_sensor,
    publication_request,
    publish_job,
    source_job,
)
from assets.ingestion import FILE_TAG, build_source_assets
from assets.resources import Database, Folders
from healthai.models import Batch, IngestionRun
from healthai.pipeline.landing import hash_file
from healthai.settings import PROJECT_ROOT
from healthai.sources import SOURCES
from tests.conftest import ENGINES
from tests.pipeline_helpers import session_for

GYM = SOURCES["gym_members"]


def _two_files(landing: Path) -> list[Path]:
    """Two byte-different halves of the shipped gym file, with its header each."""
    lines = next((PROJECT_ROOT / "raw").glob(GYM.location)).read_text().splitlines()
    header, rows = lines[0], lines[1:]
    folder = landing / "gym_members"
    folder.mkdir(parents=True)
    files = []
    for i, part in enumerate((rows[:300], rows[300:500])):
        path = folder / f"export-{i}.csv"
        path.write_text("\n".join([header, *part]) + "\n")
        files.append(path)
    return files


@pytest.mark.parametrize("engine", ENGINES)
def test_two_files_two_partitions_one_run_each(engine: str, platform: str, tmp_path: Path) -> None:
    files = _two_files(tmp_path / "landing")
    empty = tmp_path / "shipped"  # the shipped sample left out: only the dropped files
    empty.mkdir()
    folders = Folders(landing=str(tmp_path / "landing"), shipped=str(empty))
    job = source_job(GYM)
    sensor = landing_sensor([GYM], {GYM.name: job})
    with dg.DagsterInstance.ephemeral() as instance:
        given = {"folders": folders, "database": Database(url=platform)}
        context = dg.build_sensor_context(instance=instance, resources=given)
        tick = sensor(context)
        assert isinstance(tick, dg.SensorResult)
        shas = sorted(hash_file(p) for p in files)
        requests = tick.run_requests or []
        assert sorted(r.partition_key for r in requests) == shas
        assert len({r.run_key for r in requests}) == 2
        assert {r.tags[FILE_TAG] for r in requests} == {"export-0.csv", "export-1.csv"}
        [added] = tick.dynamic_partitions_requests or []
        assert isinstance(added, dg.AddDynamicPartitionsRequest)
        assert added.partitions_def_name == "gym_members_files"
        assert sorted(added.partition_keys) == shas

        # the daemon adds the partitions, then launches one run per request
        instance.add_dynamic_partitions("gym_members_files", list(added.partition_keys))
        batch_asset = build_source_assets(GYM)
        for request in requests:
            result = dg.materialize(
                batch_asset,
                partition_key=request.partition_key,
                instance=instance,
                resources={"database": Database(url=platform), "folders": folders},
                tags=request.tags,
            )
            assert result.success
            checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
            assert checks["contract_accepted"] and checks["rows_add_up"], checks
        materialized = instance.get_materialized_partitions(dg.AssetKey("gym_members_batch"))
        assert sorted(materialized) == shas

        # next tick: the cursor remembers both files, nothing is requested again
        again = sensor(
            dg.build_sensor_context(instance=instance, cursor=tick.cursor, resources=given)
        )
        assert isinstance(again, dg.SensorResult)
        assert not again.run_requests and not again.dynamic_partitions_requests
        # the same bytes under another name are the same partition: no run
        (files[0].parent / "copy.csv").write_bytes(files[0].read_bytes())
        copy = sensor(
            dg.build_sensor_context(instance=instance, cursor=again.cursor, resources=given)
        )
        assert isinstance(copy, dg.SensorResult)
        assert not copy.run_requests

    with session_for(platform) as session:
        runs = list(session.scalars(select(IngestionRun).order_by(IngestionRun.id)))
        assert [r.rows_in for r in runs] == [300, 200]
        for run in runs:  # every row of each file is accounted for
            assert run.rows_in == (
                run.rows_pending + run.rows_published + run.rows_quarantined + run.rows_duplicate
            )
        batches = list(session.scalars(select(Batch).order_by(Batch.id)))
        assert sorted(b.source_sha256 for b in batches) == shas
        assert all(b.status == "audited" for b in batches)  # not trusted: waits for a person


def test_a_failed_publication_is_requested_again(tmp_path: Path) -> None:
    pending = [(4, "approved")]
    with dg.DagsterInstance.ephemeral() as instance:
        [first] = publication_request(instance, pending)
        assert isinstance(first, dg.RunRequest)
        state = first.tags[PUBLICATION_TAG]

        def run(status: DagsterRunStatus) -> None:
            instance.add_run(
                DagsterRun(
                    job_name=publish_job.name,
                    tags={PUBLICATION_TAG: state},
                    status=status,
                )
            )

        run(DagsterRunStatus.STARTED)
        [busy] = publication_request(instance, pending)
        assert isinstance(busy, dg.SkipReason)  # one at a time
        instance.delete_run(instance.get_runs()[0].run_id)
        run(DagsterRunStatus.FAILURE)
        [retry] = publication_request(instance, pending)
        assert isinstance(retry, dg.RunRequest)
        assert retry.run_key != first.run_key  # a new run key: the sensor asks again
        run(DagsterRunStatus.SUCCESS)
        [done] = publication_request(instance, pending)
        assert isinstance(done, dg.SkipReason)
        [nothing] = publication_request(instance, [])
        assert isinstance(nothing, dg.SkipReason)


def test_an_off_api_source_is_not_fetched_on_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    from assets.automation import fetch_job, source_schedule
    from healthai.settings import get_settings

    spec = SOURCES["exercisedb"]
    schedule = source_schedule(spec, fetch_job(spec))
    monkeypatch.setenv("EXERCISEDB_URL", "")
    get_settings.cache_clear()
    skipped = schedule.evaluate_tick(dg.build_schedule_context())
    assert not skipped.run_requests and "EXERCISEDB_URL is empty" in (skipped.skip_message or "")
    monkeypatch.setenv("EXERCISEDB_URL", "http://127.0.0.1:9/")
    get_settings.cache_clear()
    data = schedule.evaluate_tick(dg.build_schedule_context())
    assert data.run_requests and len(data.run_requests) == 1
    get_settings.cache_clear()


def test_a_file_handed_back_runs_once_more_per_hand_back() -> None:
    """A file the life cycle puts back in `received` (its run died, a steward retried it):
    one run of its partition, none while one is in progress, a new key each time."""
    from assets.automation import resume_requests

    job = source_job(GYM)
    sha = "a" * 64
    with dg.DagsterInstance.ephemeral() as instance:
        [first] = resume_requests(instance, {GYM.name: job}, [(GYM, sha)], set())
        assert first.partition_key == sha and first.run_key == f"gym_members:{sha}:0"

        def run(status: DagsterRunStatus) -> None:
            tags = {"dagster/partition": sha}
            instance.add_run(DagsterRun(job_name=job.name, tags=tags, status=status))

        run(DagsterRunStatus.STARTED)
        assert resume_requests(instance, {GYM.name: job}, [(GYM, sha)], set()) == []
        instance.delete_run(instance.get_runs()[0].run_id)
        run(DagsterRunStatus.FAILURE)
        [again] = resume_requests(instance, {GYM.name: job}, [(GYM, sha)], set())
        assert again.run_key == f"gym_members:{sha}:1"
        # a file the same tick found new is not requested twice
        assert resume_requests(instance, {GYM.name: job}, [(GYM, sha)], {sha}) == []
