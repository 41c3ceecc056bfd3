"""Used by scripts/measure_profiling.sh: wait until the daemon's new runs are done (at least
--min-wait seconds, so that a few sensor ticks pass), then print each run with its steps'
durations, and the asset checks whose latest evaluation failed."""

from __future__ import annotations

import argparse
import time

import dagster as dg


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-wait", type=float, default=240)
    parser.add_argument("--max-wait", type=float, default=3600)
    args = parser.parse_args()
    instance = dg.DagsterInstance.get()
    known = {r.run_id for r in instance.get_runs()}
    start = time.monotonic()
    while True:
        time.sleep(10)
        runs = [r for r in instance.get_runs() if r.run_id not in known]
        waited = time.monotonic() - start
        if (waited > args.min_wait and all(r.is_finished for r in runs)) or waited > args.max_wait:
            break
    print(f"runs launched by the daemon: {len(runs)} (watched {waited:.0f} s)")
    for run in runs:
        record = instance.get_run_record_by_id(run.run_id)
        seconds = record.end_time - record.start_time if record.end_time else None
        print(f"  run {run.run_id[:8]} {run.status.value} {seconds and round(seconds)} s")
        for step in instance.get_run_step_stats(run.run_id):
            took = round(step.end_time - step.start_time) if step.end_time else None
            print(f"    {step.step_key}: {step.status.value if step.status else '?'} {took} s")
    events = instance.event_log_storage.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        limit=10_000,
        ascending=False,  # newest first: the latest evaluation of each check wins
    )
    latest: dict[tuple[str, str], dg.AssetCheckEvaluation] = {}
    for event in events:
        evaluation = event.event_log_entry.dagster_event.event_specific_data
        key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
        latest.setdefault(key, evaluation)
    failed = [(k, e.description) for k, e in sorted(latest.items()) if not e.passed]
    print(f"asset checks evaluated: {len(latest)}, failing: {len(failed)}")
    for (asset, check), description in failed:
        print(f"  {asset}.{check}: {description}")


if __name__ == "__main__":
    main()
