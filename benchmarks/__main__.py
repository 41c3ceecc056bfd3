"""`python -m benchmarks --scale N [--quick]`: see benchmarks/__init__.py."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import api_load, env
from healthai.settings import Settings

DATABASE = "bench_healthai"
# approved by the pipeline for the benchmark (in the demo too: DEMO_AUTO_APPROVE, Makefile);
# the measured biometrics batches are approved by the harness, which times approval → visible
TRUSTED = "sim_users,sim_app_sessions,sim_subscriptions,sim_surveys"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--scale", type=int, default=1_000_000, help="rows of the biometrics file")
    p.add_argument(
        "--quick", action="store_true", help="tiny bounds for a try-out in minutes (2,000 rows "
        "unless --scale is given, 1 s per endpoint, one warm render per page)"
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--admin-url", default=env.DEFAULT_ADMIN_URL,
                   help="PostgreSQL URL used to create and drop the scratch database")  # fmt: skip
    p.add_argument("--database", default=DATABASE, help="scratch database name (bench_*)")
    p.add_argument("--keep-db", action="store_true", help="keep the scratch database afterwards")
    p.add_argument("--work-dir", type=Path, default=None,
                   help="folder for the files, landing zone and var/ (default: a temporary one, "
                   "removed afterwards)")  # fmt: skip
    p.add_argument("--pandas-limit", type=int, default=1_000_000,
                   help="above this many rows, the usual way runs on this prefix and its time "
                   "is extrapolated (0: always the whole file)")  # fmt: skip
    p.add_argument("--concurrency", type=int, default=50, help="clients for list and detail")
    p.add_argument("--analytics-concurrency", type=int, default=10)
    p.add_argument("--api-seconds", type=float, default=10.0, help="time bound per endpoint")
    p.add_argument("--api-requests", type=int, default=3000, help="request bound per endpoint")
    p.add_argument("--api-workers", type=int, default=Settings().api_workers,
                   help="API processes (default API_WORKERS, as docker-compose.yml)")  # fmt: skip
    p.add_argument("--api-kinds", default=",".join(api_load.KINDS),
                   help="which API endpoints to measure (comma-separated)")  # fmt: skip
    p.add_argument("--serve-only", metavar="DATABASE_URL", default=None,
                   help="measure only the API and the web pages, on this existing database "
                   "(nothing dropped; an admin API key and an admin account are added and "
                   "disabled afterwards, reads add access-log rows); results in "
                   "<results-dir>/serve-<database>.json, docs untouched")  # fmt: skip
    p.add_argument("--no-pages", action="store_true",
                   help="with --serve-only: the API alone")  # fmt: skip
    p.add_argument("--page-repeats", type=int, default=3, help="warm renders per page")
    p.add_argument("--results-dir", type=Path, default=env.ROOT / "benchmarks" / "results")
    p.add_argument("--doc", type=Path, default=env.ROOT / "docs" / "performance.md")
    p.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    args = p.parse_args(argv)
    kinds = [k.strip() for k in args.api_kinds.split(",") if k.strip()]
    if not kinds or set(kinds) - set(api_load.KINDS):
        p.error(f"--api-kinds: a comma-separated choice of {', '.join(api_load.KINDS)}")
    args.api_kinds = kinds
    if args.quick:
        if "--scale" not in (argv if argv is not None else sys.argv[1:]):
            args.scale = 2_000
        args.api_seconds, args.api_requests, args.page_repeats = 1.0, 100, 1
    return args


def _command(argv: list[str] | None) -> str:
    given = argv if argv is not None else sys.argv[1:]
    return "python -m benchmarks " + shlex.join(given)


def _measure_api(args: argparse.Namespace, db_url: str, work: Path) -> dict[str, Any]:
    from benchmarks import data

    return api_load.run(
        db_url,
        work,
        args.concurrency,
        args.analytics_concurrency,
        args.api_seconds,
        args.api_requests,
        args.api_workers,
        data.last_days(30),
        args.api_kinds,
    )


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    began = time.perf_counter()
    start_load = env.load()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="healthai-bench-"))
    (work / "logs").mkdir(parents=True, exist_ok=True)
    print(f"[bench] work folder {work}; scratch database {args.database}", flush=True)
    try:
        with env.scratch_database(args.admin_url, args.database, args.keep_db) as db_url:
            env.point_settings(db_url, work, TRUSTED)
            # imported once the settings point at the scratch database
            from benchmarks import data, ingestion, web
            from healthai import migrate

            migrate.upgrade(db_url)
            machine = env.machine(db_url)
            step = time.perf_counter()
            dataset = data.build(work / "data", args.scale, args.seed)
            print(f"[bench] data written in {time.perf_counter() - step:.1f} s", flush=True)
            setup = ingestion.publish_setup(dataset, db_url, work)
            print(f"[bench] setup published: {setup['rows']}", flush=True)
            ing = ingestion.run(dataset, db_url, work, args.pandas_limit)
            print(f"[bench] ingestion: {json.dumps(ing['ratios'])}", flush=True)
            api = _measure_api(args, db_url, work)
            print(f"[bench] API: {len(api['endpoints'])} endpoints measured", flush=True)
            pages = web.run(db_url, work, args.page_repeats)
            print(f"[bench] web: {len(pages['pages'])} pages measured", flush=True)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    results: dict[str, Any] = {
        "scale": args.scale,
        "command": command,
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "total_seconds": round(time.perf_counter() - began, 1),
        "load_avg_start": start_load,
        "load_avg_end": env.load(),
        "machine": machine,
        "options": {k: str(v) for k, v in vars(args).items()},
        "dataset": dataset.to_dict(),
        "setup": setup,
        "ingestion": ing,
        "api": api,
        "web": pages,
    }
    from benchmarks import report

    results["targets"] = report.targets(results)
    return results


def run_serve_only(args: argparse.Namespace, command: str) -> int:
    """The API and web parts alone, on an existing database (a run kept with --keep-db, say,
    measured again after a change): results to serve-<database>.json."""
    from sqlalchemy.engine import make_url

    from benchmarks import report

    db_url = args.serve_only
    work = Path(tempfile.mkdtemp(prefix="healthai-bench-serve-"))
    (work / "logs").mkdir(parents=True)
    start_load = env.load()
    try:
        env.point_settings(db_url, work, "")
        from benchmarks import web

        api = _measure_api(args, db_url, work)
        pages = None if args.no_pages else web.run(db_url, work, args.page_repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {
        "command": command,
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "load_avg_start": start_load,
        "load_avg_end": env.load(),
        "machine": env.machine(db_url),
        "api": api,
        "web": pages,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"serve-{make_url(db_url).database}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(report.serving_markdown(results))
    print(f"load average {start_load} -> {results['load_avg_end']}; results in {out}")
    api_ok = all(e["errors"] == 0 for e in api["endpoints"])
    return 0 if api_ok and (pages is None or all(p["ok"] for p in pages["pages"])) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    command = _command(argv)
    if args.serve_only:
        return run_serve_only(args, command)
    results = run(args, command)
    from benchmarks import report

    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"scale-{args.scale}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    section = report.markdown(results)
    if not args.no_doc:
        report.write_section(args.doc, args.scale, section)
    print(section)
    print(f"[bench] results in {out}" + ("" if args.no_doc else f", tables in {args.doc}"))
    return 0 if results["ingestion"]["verification"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
