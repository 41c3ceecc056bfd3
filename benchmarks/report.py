"""Targets of issue #4 checked against a run's results, and the Markdown tables written into
docs/performance.md between the markers of the run's scale (other scales are kept)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MIB_LIMIT = 1024  # 1 GB of peak memory (issue #13), in MiB


def _steps(ing: dict[str, Any]) -> list[str]:
    """Where our time went, step by step (Dagster's step durations)."""
    steps = ing["ours"].get("steps")
    if not steps:
        return []
    parts = ", ".join(f"`{k}` {v:.1f} s" for k, v in sorted(steps.items(), key=lambda kv: -kv[1]))
    return ["", f"Our time by Dagster step (asset with its checks), longest first: {parts}."]


def _published_floor(ing: dict[str, Any]) -> list[str]:
    """The floor of what we write (absent from runs made before it was measured)."""
    floor = ing.get("copy_published")
    if not floor:
        return []
    table = floor.get("table", "biometric_measurements")  # runs before the wide readings
    what = "reading" if table == "biometric_readings" else "measurement"
    return [
        "",
        f"Floor of what we publish: PostgreSQL's `COPY` of the {floor['rows']:,} {what} "
        "rows our run published (read back, not timed) into a new table with "
        f"`{table}`' own keys, CHECK constraints, indexes and "
        f"{floor['foreign_keys']} foreign keys took **{floor['seconds']:.1f} s**, "
        f"{100 * ing['ratios']['published_floor_share']:.0f} % of our end-to-end time: "
        "the share of ours spent on the unavoidable final write alone.",
    ]


def _write_path(ing: dict[str, Any]) -> list[str]:
    """Approval → visible, the ratio to the floor of the final write, the table's size per
    file row (absent from runs made before they were measured)."""
    out: list[str] = []
    approvals = ing.get("approval_to_visible") or []
    if approvals:
        parts = "; ".join(
            f"{a['file']} file's batch ({a['rows']:,} rows) **{a['seconds']:.2f} s**"
            for a in approvals
        )
        out += [
            "",
            "Approval → visible (a steward's approval then the publication, one transaction, "
            f"timed to its commit; in the end-to-end time above): {parts}.",
        ]
    if "ours_vs_published_floor" in ing.get("ratios", {}):
        out += [
            "",
            f"Ours end to end is **{ing['ratios']['ours_vs_published_floor']:.1f} ×** the "
            "floor of the final write below.",
        ]
    size = ing.get("storage")
    if size:
        out += [
            "",
            f"Table size after the full load: `biometric_readings` (every partition, heap, "
            f"indexes and TOAST) {size['published_bytes'] / 2**20:,.1f} MiB for "
            f"{size['readings']:,} readings: **{size['bytes_per_file_row']:,.0f} bytes per file "
            f"row**; staging holds {size['staging_bytes'] / 2**20:,.1f} MiB after publication.",
        ]
    return out


def _fmt(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per target of the issue: what was measured, the bound, pass or fail (only the
    parts the run measured: a --serve-only run has no ingestion, perhaps no pages)."""
    lines: list[dict[str, Any]] = []

    def add(target: str, measured: str, passed: bool, note: str = "") -> None:
        lines.append({"target": target, "measured": measured, "passed": passed, "note": note})

    if "ingestion" in results:
        _ingestion_targets(results["ingestion"], add)
    _serving_targets(results, add)
    return lines


def _ingestion_targets(ing: dict[str, Any], add: Any) -> None:
    ratios = ing["ratios"]
    add(
        "Ingestion ≥ 0.5 × COPY's throughput, validation included",
        f"{ratios['ours_vs_copy']:.3f} × COPY",
        ratios["ours_vs_copy"] >= 0.5,
    )
    add(
        "Ingestion ≥ 5 × the usual way (read_csv + to_sql), aiming for 10 × (#13)",
        f"{ratios['ours_vs_pandas']:.2f} × pandas",
        ratios["ours_vs_pandas"] >= 5,
        "pandas time extrapolated from a prefix" if ing["pandas"].get("extrapolated") else "",
    )
    add(
        "Ingestion peak memory < 1 GB (#13)",
        f"{_fmt(ing['ours']['peak_rss_mb'])} MiB",
        ing["ours"]["peak_rss_mb"] < MIB_LIMIT,
    )
    add(
        "Incremental (1 % new rows) < 2 % of the full load (#13)",
        f"{100 * ing['incremental']['ratio_to_full']:.1f} %",
        ing["incremental"]["ratio_to_full"] < 0.02,
    )
    full = [a for a in ing.get("approval_to_visible") or [] if a["file"] == "full"]
    if full:
        worst = max(a["seconds"] for a in full)
        add(
            "Approval → visible < 1 s for the full file's batch (#13)",
            f"{worst:.2f} s ({sum(a['rows'] for a in full):,} rows)",
            worst < 1.0,
        )
    add(
        "Counts add up (rows in = published + quarantined + duplicates + pending)",
        "yes" if ing["verification"]["ok"] else "NO",
        ing["verification"]["ok"],
    )


def _serving_targets(results: dict[str, Any], add: Any) -> None:
    for e in results["api"]["endpoints"]:
        clean = e["errors"] == 0
        if e["kind"] == "analytics":
            add(
                f"Analytics p95 < 200 ms: `{e['request'][4:]}`",
                f"p95 {_fmt(e['p95_ms'], 1)} ms",
                clean and e["p95_ms"] is not None and e["p95_ms"] < 200,
                "" if clean else f"{e['errors']} errors",
            )
        elif e["kind"] == "conditional":
            add(
                f"304 answered, server CPU per request: `{e['request'][4:]}`",
                f"{_fmt(e.get('server_cpu_ms'), 2)} ms",
                clean,
                "" if clean else f"{e['errors']} errors",
            )
        else:
            # issue #16: server CPU <= 2 ms per request, >= 500 req/s at 50 clients, p99 < 200 ms
            cpu, rps, p99 = e.get("server_cpu_ms"), e["throughput_rps"], e["p99_ms"]
            add(
                f"{e['kind'].capitalize()}: server CPU <= 2 ms, >= 500 req/s, p99 < 200 ms, "
                f"{e['concurrency']} concurrent: `{e['request'][4:]}`",
                f"{_fmt(cpu, 2)} ms, {_fmt(rps, 1)} req/s, p99 {_fmt(p99, 1)} ms",
                clean and None not in (cpu, rps, p99) and cpu <= 2 and rps >= 500 and p99 < 200,
                "" if clean else f"{e['errors']} errors",
            )
    for p in (results.get("web") or {}).get("pages", []):
        add(
            f"Page `{p['page']}` renders in < 1 s",
            f"{p['max_s']:.2f} s (max of warm), {p['cold_s']:.2f} s cold",
            p["ok"] and p["max_s"] < 1.0,
            "" if p["ok"] else "error page or HTTP error",
        )


def markdown(results: dict[str, Any]) -> str:
    """The section of docs/performance.md for one scale."""
    m, ing, api, web = results["machine"], results["ingestion"], results["api"], results["web"]
    scale = results["scale"]
    setup = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in results["setup"]["rows"].items())
    bad = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in ing["file"]["bad_by_kind"].items())
    out = [
        f"### {scale:,} rows of biometrics",
        "",
        f"Run `{results['command']}` on {results['finished_at']} (UTC), commit "
        f"`{m['git_commit']}`{' with uncommitted changes' if m['git_dirty'] else ''}, "
        f"{results['total_seconds'] / 60:.1f} min in all. Machine: {m['cpu']}, {m['cores']} "
        f"cores, {m['memory_gb']} GB RAM, {m['os']}, Python {m['python']}, PostgreSQL "
        f"{m['postgresql']} (shared_buffers {m['postgresql_settings']['shared_buffers']}, "
        f"synchronous_commit {m['postgresql_settings']['synchronous_commit']}). Load average "
        f"(1, 5, 15 min) at the start {results['load_avg_start']}, at the end "
        f"{results['load_avg_end']}: the machine is shared, figures are noisy.",
        "",
        f"Input: a sim_biometrics CSV of {ing['file']['rows']:,} rows "
        f"({ing['file']['bytes'] / 1e6:,.1f} MB) for {results['dataset']['users']:,} users, "
        f"of which {ing['file']['bad_rows']:,} invalid ({bad}); "
        f"{ing['file']['measurements']:,} measurements to publish. Published beforehand "
        f"(setup, not measured): {setup}.",
        "",
        "#### Ingestion",
        "",
        "| variant | rows | time (s) | rows/s | peak RSS (MiB) | vs COPY | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    copy_rate = ing["copy"]["rows_per_s"]
    for key, label in (
        ("copy", "floor: PostgreSQL `COPY` into a bare table (text columns)"),
        ("pandas", "usual way: `pandas.read_csv` + `DataFrame.to_sql`"),
        ("ours", "ours: Dagster assets, landing zone → published, validation and approval"),
    ):
        e = ing[key]
        rate = e["rows_per_s"]
        note = e.get("note", "")
        seconds = e["seconds"]
        rows = e["rows"]
        if key == "pandas" and e.get("extrapolated"):
            seconds, rows = e["seconds_for_file"], ing["file"]["rows"]
            rate = rows / seconds
        out.append(
            f"| {label} | {rows:,} | {_fmt(seconds, 1)} | {_fmt(rate)} | "
            f"{_fmt(e['peak_rss_mb'])} | {rate / copy_rate:.3f} | {note} |"
        )
    inc = ing["incremental"]
    v = ing["verification"]
    out += [
        "",
        f"Ours vs the usual way: **{ing['ratios']['ours_vs_pandas']:.2f} ×**; ours vs COPY: "
        f"**{ing['ratios']['ours_vs_copy']:.3f} ×**. Peak RSS is the worker process's own "
        "(`os.wait4`); PostgreSQL's server processes are not counted.",
        *_steps(ing),
        *_published_floor(ing),
        *_write_path(ing),
        "",
        f"Incremental: {inc['rows']:,} new rows in a new file, brought up to date in "
        f"{inc['seconds']:.1f} s, **{100 * inc['ratio_to_full']:.1f} %** of the full load "
        f"({inc['full_seconds']:.1f} s); peak RSS {_fmt(inc['peak_rss_mb'])} MiB.",
        "",
        f"Verification: {'counts add up' if v['ok'] else '**counts do not add up**'}: "
        f"full file {v['files']['full'].get('rows_in', 0):,} in = "
        f"{v['files']['full'].get('rows_published', 0):,} published + "
        f"{v['files']['full'].get('rows_quarantined', 0):,} quarantined + "
        f"{v['files']['full'].get('rows_duplicate', 0):,} duplicates + "
        f"{v['files']['full'].get('rows_pending', 0):,} pending; "
        f"{v['measurements_published']:,} measurements published for "
        f"{v['measurements_expected']:,} expected.",
    ]
    out += _api_lines(api) + _web_lines(web) + _target_lines(results["targets"])
    return "\n".join(out) + "\n"


def _api_lines(api: dict[str, Any]) -> list[str]:
    out = [
        "",
        "#### API",
        "",
        f"{api['server']}, {api['measurement_rows']:,} rows in `biometric_measurements`; "
        f"per endpoint at most {api['bounds']['seconds_per_endpoint']:g} s and "
        f"{api['bounds']['max_requests_per_endpoint']:,} requests "
        f"({api.get('client', 'httpx.AsyncClient clients in the harness process')}, after "
        "one warm-up request)"
        + (
            f"; database pool {api['pool']['size']} + {api['pool']['max_overflow']} per worker"
            if "pool" in api
            else ""
        )
        + ". CPU columns: the API processes' and the load generator's CPU time per request.",
        "",
        "| endpoint | concurrent | requests | errors | p50 (ms) | p95 (ms) | p99 (ms) | req/s "
        "| server CPU (ms) | client CPU (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in api["endpoints"]:
        out.append(
            f"| `{e['request'][4:]}` | {e['concurrency']} | {e['requests']:,} | {e['errors']} | "
            f"{_fmt(e['p50_ms'], 1)} | {_fmt(e['p95_ms'], 1)} | {_fmt(e['p99_ms'], 1)} | "
            f"{_fmt(e['throughput_rps'], 1)} | {_fmt(e.get('server_cpu_ms'), 1)} | "
            f"{_fmt(e.get('client_cpu_ms'), 1)} |"
        )
    if api["skipped_routes"]:
        skipped = ", ".join(f"`{r}`" for r in api["skipped_routes"])
        out += ["", f"Not measured (path parameter): {skipped}."]
    return out


def _web_lines(web: dict[str, Any] | None) -> list[str]:
    if not web:
        return []
    out = [
        "",
        "#### Web interface",
        "",
        web["method"] + ".",
        "",
        "| page | cold (s) | median (s) | max (s) | ok |",
        "|---|---:|---:|---:|---|",
    ]
    for p in web["pages"]:
        out.append(
            f"| `{p['page']}` | {p['cold_s']:.2f} | {p['median_s']:.2f} | {p['max_s']:.2f} | "
            f"{'yes' if p['ok'] else 'NO'} |"
        )
    return out


def _target_lines(targets: list[dict[str, Any]]) -> list[str]:
    out = ["", "#### Targets", "", "| target | measured | result | note |", "|---|---|---|---|"]
    for t in targets:
        out.append(
            f"| {t['target']} | {t['measured']} | {'pass' if t['passed'] else '**fail**'} | "
            f"{t['note']} |"
        )
    return out


def serving_markdown(results: dict[str, Any]) -> str:
    """The tables of a --serve-only run (API, pages, their targets)."""
    m = results["machine"]
    out = [
        f"Run `{results['command']}` on {results['finished_at']} (UTC), "
        f"commit `{m.get('git_commit', '?')}`; load average at the start "
        f"{results['load_avg_start']}, at the end {results['load_avg_end']}.",
    ]
    out += _api_lines(results["api"]) + _web_lines(results.get("web"))
    out += _target_lines(targets(results))
    return "\n".join(out) + "\n"


def write_section(doc: Path, scale: int, body: str) -> None:
    """Replace (or append) the section of `scale` between its markers; the rest of the
    document (prose written by hand, other scales) stays as it is."""
    start, end = f"<!-- bench:{scale}:start -->", f"<!-- bench:{scale}:end -->"
    block = f"{start}\n{body}{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    elif "<!-- bench:results:end -->" in text:
        text = text.replace("<!-- bench:results:end -->", f"{block}\n\n<!-- bench:results:end -->")
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.report RESULTS.json [--doc PATH]`: render a recorded run's
    tables into the document again (e.g. after a run made from a clean export of a commit)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.report")
    parser.add_argument("results", type=Path)
    parser.add_argument(
        "--doc", type=Path, default=Path(__file__).parent.parent / "docs" / "performance.md"
    )
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    write_section(args.doc, results["scale"], markdown(results))


if __name__ == "__main__":
    main()
