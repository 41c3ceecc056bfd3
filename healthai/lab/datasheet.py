"""The datasheet of a snapshot ("Datasheets for Datasets", Gebru et al.), generated from what
the platform knows rather than written by hand: the source declarations (origin, licence,
citation, declared defects), the batches and ingestion runs of the version (what was
quarantined, counted duplicate, flagged), the quality evaluations, and the data itself
(coverage, missing values, who the people are). Regenerated with every snapshot, it cannot
drift from the data it describes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthai import privacy
from healthai.lab.features import EVENT_COLUMNS
from healthai.lab.reading import table_of
from healthai.models import Batch, IngestionRun, QuarantinedRow, Source
from healthai.sources import SOURCES


def _cell(value: Any) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*out, ""]


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def _runs(session: Session, batch_ids: list[int]) -> dict[str, dict[str, int]]:
    """Per source: rows received, quarantined and counted duplicate by the runs that made the
    batches of the version."""
    out: dict[str, Counter[str]] = {}
    if not batch_ids:
        return {}
    rows = session.execute(
        select(Batch.id, IngestionRun)
        .join(IngestionRun, IngestionRun.id == Batch.run_id)
        .where(Batch.id.in_(batch_ids))
    ).all()
    for _batch, run in rows:
        counts = out.setdefault(run.source.name, Counter())
        counts["rows_in"] += run.rows_in
        counts["quarantined"] += run.rows_quarantined
        counts["duplicates"] += run.rows_duplicate
    return {k: dict(v) for k, v in out.items()}


def _reasons(session: Session, batch_ids: list[int]) -> dict[str, Counter[str]]:
    """Per source: how many rows each rule sent to quarantine in those runs."""
    if not batch_ids:
        return {}
    run_ids = select(Batch.run_id).where(Batch.id.in_(batch_ids), Batch.run_id.is_not(None))
    out: dict[str, Counter[str]] = {}
    rows = session.execute(
        select(Source.name, QuarantinedRow.reasons)
        .join(Source, Source.id == QuarantinedRow.source_id)
        .where(QuarantinedRow.run_id.in_(run_ids))
    )
    for source, row_reasons in rows:
        counts = out.setdefault(source, Counter())
        for rule in {r.get("rule", "?") for r in row_reasons or []}:
            counts[rule] += 1
    return out


def _coverage(frames: dict[str, pd.DataFrame]) -> list[list[Any]]:
    rows = []
    for name, column in EVENT_COLUMNS.items():
        frame = frames.get(name)
        if frame is None or frame.empty or column not in frame:
            continue
        values = pd.to_datetime(frame[column], utc=True, errors="coerce").dropna()
        people = frame["user_id"].nunique() if "user_id" in frame else 0
        if len(values):
            rows.append([name, len(frame), people, values.min().date(), values.max().date()])
    return rows


def _missing(frames: dict[str, pd.DataFrame]) -> list[list[Any]]:
    rows = []
    for name, frame in frames.items():
        if frame.empty:
            continue
        for column, missing in frame.isna().sum().items():
            if missing:
                rows.append([name, column, int(missing), _share(int(missing), len(frame))])
    return sorted(rows, key=lambda r: -r[2] / max(len(frames[r[0]]), 1))[:25]


def _people(frames: dict[str, pd.DataFrame], made_at: str | None) -> list[str]:
    users = frames.get("users")
    if users is None or users.empty:
        return ["No person in this version.", ""]
    n = len(users)
    out = [f"{n:,} people (pseudonymised).", ""]
    for column in ("sex", "goal", "activity_level", "plan_tier"):
        if column in users:
            counts = users[column].fillna("(unknown)").value_counts()
            out.append(
                f"- **{column}**: "
                + ", ".join(f"{k} {_share(int(v), n)}" for k, v in counts.items())
            )
    if "birth_year" in users and users["birth_year"].notna().any():
        year = int((made_at or "2026")[:4])
        ages = year - users["birth_year"].dropna()
        bins = pd.cut(ages, [0, 18, 30, 45, 60, 75, 200], right=False)
        counts = bins.value_counts(sort=False)
        out.append(
            "- **age** (in "
            + str(year)
            + "): "
            + ", ".join(
                f"{int(i.left)}-{int(i.right) - 1 if i.right < 200 else '+'} {_share(int(v), n)}"
                for i, v in counts.items()
                if v
            )
            + f"; unknown {_share(int(users['birth_year'].isna().sum()), n)}"
        )
    return [*out, ""]


def render(session: Session, manifest: dict[str, Any], frames: dict[str, pd.DataFrame]) -> str:
    version = manifest["dataset_version"]
    batches = manifest["batches"]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for b in batches:
        by_source.setdefault(b["source"], []).append(b)
    runs = _runs(session, [b["batch"] for b in batches])
    reasons = _reasons(session, [b["batch"] for b in batches])
    lines = [
        f"# Datasheet: HealthAI Coach reference dataset, version {version}",
        "",
        "*Generated with the snapshot (healthai/lab/datasheet.py) from the source declarations, "
        "the batches and runs of this version, its quality evaluations and the data itself. "
        "Do not edit: write the snapshot again.*",
        "",
        "## Motivation",
        "",
        "The published data of the HealthAI Coach platform (nutrition, activity, sleep, "
        "biometrics, workouts, app use, plans) as it stood at dataset version "
        f"{version} (made {manifest['made_at']}): the reference dataset of the recommendation "
        "and prediction modules. Every row went through the pipeline: contract, cleaning, "
        "audit, approval, publication (docs/pipeline.md).",
        "",
        "## Composition",
        "",
        *_table(
            ["table", "rows", "about people", "what a row is"],
            [
                [
                    name,
                    entry["rows"],
                    "yes" if privacy.is_personal(table_of(name)) else "no",
                    (table_of(name).comment or "").split(".")[0] or "see docs/data-model.md",
                ]
                for name, entry in manifest["tables"].items()
            ],
        ),
        "### The people",
        "",
        *_people(frames, manifest["made_at"]),
        "Identifiers are pseudonyms (HMAC-SHA256 with the platform's secret): stable across "
        "tables and snapshots of one deployment, not reversible without the secret. Lineage "
        "columns and natural keys are left out.",
        "",
        "### Time covered",
        "",
        *_table(["table", "rows", "people", "first", "last"], _coverage(frames)),
        "## Collection: the sources of this version",
        "",
    ]
    for source, items in sorted(by_source.items()):
        spec = SOURCES.get(source)
        rows: Counter[str] = Counter()
        for b in items:
            rows.update(b["rows_by_table"] or {})
        lines += [
            f"### {spec.title if spec else source} (`{source}`)",
            "",
            f"- Origin: {spec.origin if spec else 'unknown'}",
            f"- Citation: {spec.citation or 'none stated'}" if spec else "- Citation: unknown",
            f"- Licence: {spec.licence if spec else 'unknown'}",
            f"- Format and frequency: {spec.format}, {spec.update_frequency}" if spec else "",
            f"- Batches: {len(items)} (ids {', '.join(str(b['batch']) for b in items)}), "
            f"published {items[0]['published_at']} … {items[-1]['published_at']}",
            "- Rows published: " + ", ".join(f"{t} {n:,}" for t, n in sorted(rows.items())),
            "",
        ]
    lines += [
        "## Cleaning",
        "",
        "Each file was read by the pipeline's reader, checked against its source's contract "
        "(pandera), cleaned and shaped into the tables, audited and approved before "
        "publication. A row breaking a rule is not in the data: it is in quarantine with its "
        "reasons; an exact duplicate is counted, not published twice; implausible but "
        "possible rows are published and flagged (soft rules). Rules: docs/sources.md.",
        "",
        *_table(
            ["source", "rows received", "quarantined", "duplicates", "rules that quarantined"],
            [
                [
                    source,
                    c.get("rows_in", 0),
                    f"{c.get('quarantined', 0)} "
                    f"({_share(c.get('quarantined', 0), c.get('rows_in', 0))})",
                    c.get("duplicates", 0),
                    ", ".join(f"{r} {n}" for r, n in reasons.get(source, Counter()).most_common(5))
                    or "none",
                ]
                for source, c in sorted(runs.items())
            ],
        ),
        "### Quality (docs/quality.md)",
        "",
        *_table(
            ["source", "score", "completeness", "validity", "consistency", "freshness"],
            [
                [
                    source,
                    "n/a" if q["score"] is None else f"{q['score']:.1f}",
                    *(
                        "n/a" if q.get(d) is None else f"{q[d]:.3f}"
                        for d in ("completeness", "validity", "consistency", "freshness")
                    ),
                ]
                for source, q in manifest["quality"].items()
            ],
        ),
        "## Known gaps and biases",
        "",
    ]
    simulated = [s for s in by_source if s.startswith("sim_")]
    if simulated:
        lines += [
            f"- **Simulated data**: {', '.join(simulated)} are generated by `healthai simulate` "
            "(deterministic, consistent with the user profiles by construction): not real "
            "people, their distributions are the simulator's assumptions.",
        ]
    for source in sorted(by_source):
        spec = SOURCES.get(source)
        for defect in spec.defects if spec else ():
            lines.append(f"- `{source}`: {defect}")
    lines += [
        "",
        "Most missing values (share of the table's rows):",
        "",
        *_table(["table", "column", "missing", "share"], _missing(frames)),
        "## Licences",
        "",
        *_table(
            ["source", "licence", "citation"],
            [
                [s, SOURCES[s].licence, SOURCES[s].citation or "—"]
                for s in sorted(by_source)
                if s in SOURCES
            ],
        ),
        "## Erasures",
        "",
        f"People erased before this version: {manifest['erasures']['before_this_version']}. "
        f"Erased since: {len(manifest['erasures']['since_this_version'])}. "
        + manifest["erasures"]["note"],
        "",
        "## Reproducing this dataset",
        "",
        "```python",
        "from healthai import lab",
        f"tables = lab.connect().consolidated(as_of={version})  # the same rows, any time later",
        "```",
        "",
        f"or `healthai lab snapshot --version {version}`; every file's SHA-256 is in "
        "manifest.json.",
        "",
    ]
    return "\n".join(lines)
