"""Crash safety on PostgreSQL (#13 findings 1 and 2): the process ingesting a file is killed
(SIGKILL) at each step boundary and inside staging, audit and publication, or its database
connection is ended mid-publication; then the next run, with no hand editing, finishes the
work. Every time: no run left `running`, the dead run closed as failed, the file published
once, and the counts the same as an uninterrupted ingestion's, adding up."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.faults.conftest import SOURCE, Lab, Outcome, outcome, run_worker

pytestmark = pytest.mark.postgres

KILL_POINTS = [
    "after_land",  # step boundaries (the asset's sessions)
    "after_check",
    "after_stage",
    "check",  # inside reading and validation
    "check_chunk:2",
    "stage",  # inside staging
    "stage_part:2",
    "audit",  # inside the audit
    "publish",  # inside publication (rows inserted, not committed)
]


def _recovered(url: str, lab: Lab, folder: Path, reference: Outcome, died: bool) -> None:
    assert run_worker(url, folder, SOURCE, lab.file) == 0  # the next run, as it comes
    got = outcome(url)
    assert got.runs_running == 0
    assert got.file_state == "published"
    assert got.published_batches == 1
    assert got.readings == reference.readings  # published once, nothing lost
    assert got.quarantined == reference.quarantined
    assert got.rows_in == reference.rows_in == got.accounted
    assert got.duplicates == reference.duplicates
    assert got.dead_runs == (1 if died else 0)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_then_the_next_run_finishes_exactly_once(
    point: str, lab: Lab, trial: str, tmp_path: Path, reference: Outcome
) -> None:
    code = run_worker(trial, tmp_path, SOURCE, lab.file, HEALTHAI_FAULT=point)
    assert code == -9, f"the fault point {point} was not reached"
    before = outcome(trial)
    assert before.readings == 0 or point == "after_stage"
    _recovered(trial, lab, tmp_path, reference, died=point not in ("after_stage", "publish"))


def test_connection_ended_mid_publication(
    lab: Lab, trial: str, tmp_path: Path, reference: Outcome
) -> None:
    code = run_worker(
        trial,
        tmp_path,
        SOURCE,
        lab.file,
        HEALTHAI_FAULT="publish",
        HEALTHAI_FAULT_ACTION="terminate",
    )
    assert code != 0
    assert outcome(trial).readings == 0  # the publication's transaction is gone whole
    _recovered(trial, lab, tmp_path, reference, died=False)


@pytest.mark.parametrize("seed", range(3))
def test_random_kill_points(
    seed: int, lab: Lab, trial: str, tmp_path: Path, reference: Outcome
) -> None:
    """A bounded loop: two kills in a row at random points, then a clean run."""
    rng = random.Random(seed)
    died = 0
    for _ in range(2):
        point = rng.choice(KILL_POINTS)
        if run_worker(trial, tmp_path, SOURCE, lab.file, HEALTHAI_FAULT=point) == -9:
            died += 0 if point in ("after_stage", "publish") else 1
    assert run_worker(trial, tmp_path, SOURCE, lab.file) == 0
    got = outcome(trial)
    assert got.runs_running == 0 and got.published_batches == 1
    assert got.readings == reference.readings and got.quarantined == reference.quarantined
    assert got.rows_in == got.accounted == reference.rows_in
