"""One asset per source built from its declaration: `<source>_batch`, partitioned by file.

Each landed file is a dynamic partition of its source (key: its SHA-256, assets/partitions.py)
and one run of `<source>_batch` takes it through the pipeline functions: land in the raw
store, read and validate (refused rows to quarantine), clean, stage as one batch, audit. Its
input is the file its key names (found in the landing zone, the shipped samples or the raw
store, `Folders` resource); its output is the batch in the database (staging tables,
`batches`, `batch_checks`): nothing is handed from step to step through Dagster.

Every audit rule is an asset check of its own (`rows_add_up`, `references_resolve`,
`publishable`, one `soft_<rule>` per soft rule) plus `contract_accepted` for the file itself.
They are not *blocking*: nothing downstream runs in the same run (publication waits for a
person, then runs in the `publish` job, assets/automation.py) and the batch's state is what
the publication checks. A blocking rule that fails is an ERROR check; a soft rule a WARN.
Nothing here publishes: the `publication` asset is the one path into the published tables.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from assets.fetch import build_fetch_asset
from assets.partitions import file_partitions
from assets.resources import Database, Folders
from healthai.logging import get_logger
from healthai.models import IngestionRun
from healthai.pipeline import batches, ingest, landing
from healthai.pipeline.errors import ContractError
from healthai.pipeline.spec import SourceSpec

log = get_logger("healthai.pipeline")

# The audit's rules (healthai.pipeline.batches.audit), each an asset check of `<source>_batch`.
AUDIT_RULES = {
    "rows_add_up": "Rows in = published + quarantined + duplicates + staged + erased.",
    "references_resolve": "Every reference names an existing or co-staged row.",
    "publishable": "Publication would pass every database constraint.",
}
FILE_TAG = "healthai/file"  # the name of the file as dropped, on the run that ingests it


def batch_key(source: str) -> str:
    return f"{source}_batch"


def _event(**fields: object) -> None:
    """One structured (JSON) log line naming the run, the source and the batch."""
    event = str(fields.pop("event"))
    log.info(event, **fields)


def check_name(rule: str) -> str:
    """The asset check of an audit rule (`soft:x` is `soft_x`: check names are identifiers)."""
    return rule.replace("soft:", "soft_")


def find_file(spec: SourceSpec, folders: Folders, sha256: str, name: str = "") -> Path | None:
    """The file whose bytes hash to `sha256`: the one named `name` if it still does, else any
    candidate of the source that does, else its copy in the raw store."""
    candidates = folders.candidates(spec)
    named = [p for p in candidates if p.name == name] if name else []
    for path in [*named, *(p for p in candidates if p not in named)]:
        if landing.sha256_of(path) == sha256:
            return path
    stored = folders.stored(spec, sha256)
    return stored[0] if stored else None


def top_reasons(reasons: dict[str, int], limit: int = 10) -> str:
    """The most cited rules as a Markdown table (written here: pandas' `to_markdown` imports
    tabulate, 0.2 s of every run's fixed cost)."""
    if not reasons:
        return "none"
    top = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return "\n".join(["| rule | count |", "|:--|--:|", *(f"| {r} | {n} |" for r, n in top)])


def _json(value: Any) -> dg.MetadataValue:
    return dg.MetadataValue.json(value if isinstance(value, dict | list) else {"value": value})


def build_source_assets(spec: SourceSpec) -> list[dg.AssetsDefinition]:
    name = spec.name
    group = f"source_{name}"
    tags = {"source": name}
    owners = [spec.owner] if "@" in spec.owner else []
    key = batch_key(name)
    rules = {
        "contract_accepted": "The file meets the source's structural contract.",
        **AUDIT_RULES,
        **{check_name(f"soft:{rule}"): d for rule, (d, _) in spec.soft_rules.items()},
    }

    @dg.multi_asset(
        name=key,
        specs=[
            dg.AssetSpec(
                key,
                group_name=group,
                kinds={"file", "pandas", "sql"},
                owners=owners,
                tags={**tags, "unit": "file"},
                description=f"{spec.title}: one landed file (partition: its SHA-256) read, "
                "validated, cleaned, staged as one batch and audited; refused rows in "
                f"quarantine. Origin: {spec.origin}. Licence: {spec.licence}.",
            )
        ],
        partitions_def=file_partitions(name),
        can_subset=True,  # the checks of a step that did not happen are left out
        check_specs=[dg.AssetCheckSpec(n, asset=key, description=d) for n, d in rules.items()],
        op_tags={"source": name},
    )
    def batch(
        context: dg.AssetExecutionContext, database: Database, folders: Folders
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        sha = context.partition_key
        dropped = context.run.tags.get(FILE_TAG, "")
        path = find_file(spec, folders, sha, dropped)
        if path is None:
            raise dg.Failure(
                f"{name}: no file with SHA-256 {sha} in the landing zone or the raw store",
                metadata={"sha256": sha, "file": dropped},
            )
        yield from ingest_file(context, spec, database, path, sha, set(rules))

    fetched = [build_fetch_asset(spec, spec.fetch, group)] if spec.fetch else []
    return [*fetched, batch]


def ingest_file(
    context: dg.AssetExecutionContext,
    spec: SourceSpec,
    database: Database,
    path: Path,
    sha: str,
    declared: set[str],
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """The pipeline functions on one file, in order; the batch's audit as check results."""
    name, key = spec.name, batch_key(spec.name)
    version = dg.DataVersion(sha)  # the same bytes, the same data
    with database.session() as session:
        run = ingest.start_run(session, spec, context.run_id)
        item = ingest.land(session, spec, run, path)
        if item.duplicate_of is not None:
            ingest.finish_run(run, "skipped", f"{path.name}: already ingested (same SHA-256)")
    _event(event="landed", dagster_run=context.run_id, source=name, ingestion_run=item.run_id,
           file=item.name, sha256=sha, already_ingested=item.duplicate_of is not None)  # fmt: skip
    if item.duplicate_of is not None:
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"file": item.name, "status": "already ingested (same SHA-256)"},
            data_version=version,
        )
        return
    try:
        yield from _through(context, spec, database, item, version, declared)
    except Exception as exc:
        # the file's run ends failed with its error (a reader that crashed, a lost
        # connection); the Dagster run fails too, and re-running the partition retries it
        with database.session() as session:
            run = session.get(IngestionRun, item.run_id)
            if run is not None and run.status == "running":
                ingest.finish_run(run, "failed", f"{item.name}: {exc}"[:2000])
        _event(event="failed", dagster_run=context.run_id, source=name,
               ingestion_run=item.run_id, error=str(exc))  # fmt: skip
        raise
    finally:
        ingest.discard_work(item)


def _through(
    context: dg.AssetExecutionContext,
    spec: SourceSpec,
    database: Database,
    item: ingest.Landed,
    version: dg.DataVersion,
    declared: set[str],
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    name, key = spec.name, batch_key(spec.name)
    with database.session() as session:
        try:
            checked = ingest.check(session, spec, item)
        except ContractError as exc:
            run = session.get(IngestionRun, item.run_id)
            ingest.finish_run(run, "failed", str(exc))
            refused = str(exc)
        else:
            refused = ""
    if refused:
        _event(event="refused", dagster_run=context.run_id, source=name,
               ingestion_run=item.run_id, error=refused)  # fmt: skip
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"file": item.name, "status": "refused", "error": refused},
            data_version=version,
        )
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name="contract_accepted",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=refused[:1000],
            metadata={"file": item.name},
        )
        return
    _event(event="validated", dagster_run=context.run_id, source=name, ingestion_run=item.run_id,
           rows_in=checked.rows_in, quarantined=checked.quarantined)  # fmt: skip
    with database.session() as session:
        cleaned = ingest.clean(session, spec, checked)
        run = session.get(IngestionRun, item.run_id)
        staged = ingest.stage(session, spec, cleaned, run)
        results = []
        if staged is None:
            ingest.finish_run(run, "succeeded")
            status, batch_id, rows_staged = "nothing new", None, 0
        else:
            soft = {k: (d, checked.soft.get(k, 0)) for k, (d, _) in spec.soft_rules.items()}
            results = batches.audit(session, staged, soft)
            session.refresh(run)
            ingest.finish_run(run, "succeeded" if staged.status != "audit_failed" else "partial")
            status, batch_id, rows_staged = staged.status, staged.id, staged.rows_staged
        counts = {
            "rows_in": run.rows_in,
            "rows_quarantined": run.rows_quarantined,
            "rows_duplicate": run.rows_duplicate,
            "rows_staged": run.rows_pending,
        }
        checks = [(c.name, c.description, c.passed, c.blocking, c.observed) for c in results]
    _event(event="staged", dagster_run=context.run_id, source=name, batch=batch_id,
           ingestion_run=item.run_id, status=status, rows=rows_staged)  # fmt: skip
    yield dg.MaterializeResult(
        asset_key=key,
        metadata={
            "file": item.name,
            "sha256": item.sha256,
            "status": status,
            "batch": batch_id if batch_id is not None else "none",
            "ingestion_run": item.run_id,
            **counts,
            "dagster/row_count": rows_staged,
            "top_reasons": dg.MetadataValue.md(top_reasons(checked.reasons)),
        },
        data_version=version,
    )
    yield dg.AssetCheckResult(
        asset_key=key,
        check_name="contract_accepted",
        passed=True,
        metadata={"rows_in": checked.rows_in, "rows_quarantined": checked.quarantined},
    )
    for rule, description, passed, blocking, observed in checks:
        if check_name(rule) not in declared:  # a rule the audit gained: in its metadata only
            context.log.warning(f"{name}: audit rule {rule} has no asset check")
            continue
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=check_name(rule),
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            description=description,
            metadata={k: _json(v) for k, v in (observed or {}).items()},
        )
