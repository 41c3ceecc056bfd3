"""Assets built from the source declarations: landed -> validated -> cleaned -> staged.

Every step is a software-defined asset with checks; the staged step audits the batch
(blocking) and, for sources trusted with auto-approval, approves and publishes it. All
other batches wait for a person (API or web interface), then the publication sensor
publishes them.
"""

from collections import Counter

import dagster as dg
import pandas as pd
from sqlalchemy.orm import Session

from assets.fetch import build_fetch_asset
from assets.resources import Database
from healthai.logging import get_logger
from healthai.models import Batch, IngestionRun
from healthai.pipeline import batches, ingest, landing
from healthai.pipeline.errors import ContractError
from healthai.pipeline.landing import candidate_files
from healthai.pipeline.spec import SourceSpec

log = get_logger("healthai.pipeline")


def _event(**fields: object) -> None:
    """One structured (JSON) log line naming the run, the source and the batch."""
    event = str(fields.pop("event"))
    log.info(event, **fields)


def _audit_and_publish(
    session: Session, run: IngestionRun, batch: Batch, soft: dict[str, tuple[str, int]]
) -> dict:
    """Audit a staged batch, publish it if its source is trusted, close the run; returns the
    batch's summary."""
    checks = batches.audit(session, batch, soft)
    if batch.status == "audited" and run.source.auto_approve:
        batches.approve(session, batch.id, batches.PIPELINE_ACTOR, "auto-approved: trusted source")
        batches.publish(session, batch.id, batches.PIPELINE_ACTOR)
    session.refresh(run)
    ingest.finish_run(run, "succeeded" if batch.status != "audit_failed" else "partial")
    return {
        "batch": batch.id,
        "status": batch.status,
        "rows": batch.rows_staged,
        "checks": {c.name: c.passed for c in checks},
    }


def build_source_assets(spec: SourceSpec) -> list[dg.AssetsDefinition]:
    name = spec.name
    group = f"source_{name}"
    tags = {"source": name}
    owners = [spec.owner] if "@" in spec.owner else []

    @dg.asset(
        name=f"{name}_landed",
        group_name=group,
        kinds={"file"},
        owners=owners,
        tags=tags,
        description=f"{spec.title}: new files registered in the immutable raw store. "
        f"Origin: {spec.origin}. Licence: {spec.licence}.",
        deps=[f"{name}_fetched"] if spec.fetch else [],
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
    )
    def landed(context: dg.AssetExecutionContext, database: Database) -> list[ingest.Landed]:
        files = candidate_files(spec)
        result = []
        with database.session() as session:
            for path in files:
                run = ingest.start_run(session, spec, context.run_id)
                item = ingest.land(session, spec, run, path)
                if item.duplicate_of is not None:
                    ingest.finish_run(
                        run, "skipped", f"{path.name}: already ingested (same SHA-256)"
                    )
                result.append(item)
                _event(
                    event="landed",
                    dagster_run=context.run_id,
                    source=name,
                    ingestion_run=run.id,
                    file=path.name,
                    sha256=item.sha256,
                    already_ingested=item.duplicate_of is not None,
                )
        new = [i for i in result if i.duplicate_of is None]
        context.add_output_metadata(
            {
                "files_found": len(files),
                "files_new": len(new),
                "files_already_ingested": len(result) - len(new),
                "sha256": dg.MetadataValue.md(
                    "\n".join(f"- `{i.sha256}` {i.path.name}" for i in result) or "none"
                ),
            }
        )
        return new

    @dg.asset(
        name=f"{name}_validated",
        ins={"landed": dg.AssetIn(f"{name}_landed")},
        group_name=group,
        kinds={"pandas", "pandera"},
        owners=owners,
        tags=tags,
        description="Rows checked against the source's contract; every failing row goes to "
        "quarantine with every rule it broke.",
        check_specs=[
            # Not blocking: a refused file fails this check (visibly, with its error) while
            # the source's other files and the other sources go on.
            dg.AssetCheckSpec(
                "contract_accepted",
                asset=f"{name}_validated",
                description="Every file meets the structural contract.",
            )
        ],
    )
    def validated(
        context: dg.AssetExecutionContext, database: Database, landed: list[ingest.Landed]
    ) -> list[ingest.Checked]:
        out, refused = [], []
        for item in landed:
            with database.session() as session:
                try:
                    checked = ingest.check(session, spec, item)
                except ContractError as exc:
                    ingest.discard_work(item)
                    refused.append(f"{item.path.name}: {exc}")
                    run = session.get(IngestionRun, item.run_id)
                    ingest.finish_run(run, "failed", str(exc))
                    _event(
                        event="refused",
                        dagster_run=context.run_id,
                        source=name,
                        ingestion_run=item.run_id,
                        error=str(exc),
                    )
                    continue
            out.append(checked)
            _event(
                event="validated",
                dagster_run=context.run_id,
                source=name,
                ingestion_run=item.run_id,
                rows_in=checked.rows_in,
                quarantined=checked.quarantined,
            )
        rows_in = sum(c.rows_in for c in out)
        quarantined = sum(c.quarantined for c in out)
        cited: Counter[str] = Counter()
        for c in out:
            cited.update(c.reasons)
        reasons = pd.Series(dict(cited.most_common(10)), name="count", dtype="int64")
        yield dg.Output(
            out,
            metadata={
                "rows_in": rows_in,
                "rows_valid": rows_in - quarantined,
                "rows_quarantined": quarantined,
                "top_reasons": dg.MetadataValue.md(
                    reasons.to_markdown() if len(reasons) else "none"
                ),
            },
        )
        yield dg.AssetCheckResult(
            check_name="contract_accepted",
            passed=not refused,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"refused_files": dg.MetadataValue.md("\n".join(refused) or "none")},
            description="; ".join(refused) or "every file met its contract",
        )

    @dg.asset(
        name=f"{name}_cleaned",
        ins={"validated": dg.AssetIn(f"{name}_validated")},
        group_name=group,
        kinds={"pandas"},
        owners=owners,
        tags=tags,
        description="Valid rows cleaned and shaped into the target tables; duplicates counted.",
        check_specs=[
            dg.AssetCheckSpec(
                "rows_add_up",
                asset=f"{name}_cleaned",
                blocking=True,
                description="rows in = clean + quarantined + duplicates",
            )
        ],
    )
    def cleaned(
        context: dg.AssetExecutionContext, database: Database, validated: list[ingest.Checked]
    ) -> list[ingest.Cleaned]:
        out = []
        with database.session() as session:
            for checked in validated:
                out.append(ingest.clean(session, spec, checked))
        rows_in = sum(c.rows_in for c in out)
        clean_rows = sum(c.records for c in out)
        quarantined = sum(c.quarantined for c in out)
        duplicates = sum(c.duplicates for c in out)
        yield dg.Output(
            out,
            metadata={
                "rows_in": rows_in,
                "rows_clean": clean_rows,
                "rows_quarantined": quarantined,
                "rows_duplicate": duplicates,
                **{
                    f"rows_{t}": sum(c.rows_by_table.get(t, 0) for c in out)
                    for t in sorted({t for c in out for t in c.rows_by_table})
                },
            },
        )
        yield dg.AssetCheckResult(
            check_name="rows_add_up",
            passed=rows_in == clean_rows + quarantined + duplicates,
            metadata={
                "rows_in": rows_in,
                "clean": clean_rows,
                "quarantined": quarantined,
                "duplicates": duplicates,
            },
        )

    @dg.asset(
        name=f"{name}_staged",
        ins={
            "cleaned": dg.AssetIn(f"{name}_cleaned"),
            "validated": dg.AssetIn(f"{name}_validated"),
        },
        deps=[f"{other}_staged" for other in spec.after],
        group_name=group,
        kinds={"sql"},
        owners=owners,
        tags=tags,
        description="Cleaned rows written to staging as one batch per file and audited. "
        "Audited batches wait for human approval unless the source is trusted.",
        check_specs=[
            dg.AssetCheckSpec(
                "batch_audit",
                asset=f"{name}_staged",
                blocking=True,
                description="Every staged batch passes its audit.",
            )
        ],
    )
    def staged(
        context: dg.AssetExecutionContext,
        database: Database,
        cleaned: list[ingest.Cleaned],
        validated: list[ingest.Checked],
    ):
        summary, failed = [], []
        soft_by_run = {c.landed.run_id: c.soft for c in validated}
        for item in cleaned:
            with database.session() as session:
                run = session.get(IngestionRun, item.landed.run_id)
                batch = ingest.stage(session, spec, item, run)
                if batch is None:
                    ingest.finish_run(run, "succeeded")
                else:
                    # soft rules were counted chunk by chunk at validation
                    flagged = soft_by_run.get(item.landed.run_id, {})
                    soft = {k: (d, flagged.get(k, 0)) for k, (d, _) in spec.soft_rules.items()}
                    summary.append(_audit_and_publish(session, run, batch, soft))
                    if batch.status == "audit_failed":
                        failed.append(batch.id)
            ingest.discard_work(item.landed)  # committed: the intermediate files are done with
            if batch is None:
                continue
            _event(
                event="staged",
                dagster_run=context.run_id,
                source=name,
                batch=summary[-1]["batch"],
                ingestion_run=item.landed.run_id,
                status=summary[-1]["status"],
                rows=summary[-1]["rows"],
            )
        # The source's data version is its newest file: the same files give the same version,
        # so what depends on the data (the profile report) is made again only on a new file.
        with database.session() as session:
            newest = landing.newest_file(session, name)
            data_version = newest.sha256 if newest else "no file"
        yield dg.Output(
            [s["batch"] for s in summary],
            metadata={
                "batches": dg.MetadataValue.json(summary),
                "rows_staged": sum(s["rows"] for s in summary),
                "awaiting_approval": sum(1 for s in summary if s["status"] == "audited"),
            },
            data_version=dg.DataVersion(data_version),
        )
        yield dg.AssetCheckResult(
            check_name="batch_audit",
            passed=not failed,
            metadata={"failed_batches": dg.MetadataValue.json(failed)},
        )

    fetched = [build_fetch_asset(spec, spec.fetch, group)] if spec.fetch else []
    return [*fetched, landed, validated, cleaned, staged]
