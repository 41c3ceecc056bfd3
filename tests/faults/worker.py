"""One ingestion of one file, as the Dagster asset `<source>_batch` runs it (a session per
step: land, read and validate, clean + stage + audit), then the publication asset's settle
(trusted sources publish), in a process of its own so that the fault tests can kill it
(HEALTHAI_FAULT, healthai.pipeline.faults) at a step boundary or inside a step.

    python -m tests.faults.worker <source> <file>
"""

from __future__ import annotations

import sys
from pathlib import Path

from healthai.db import get_engine, session_scope
from healthai.models import IngestionRun
from healthai.pipeline import batches, ingest
from healthai.pipeline.errors import ContractError
from healthai.pipeline.faults import fault_point
from healthai.settings import get_settings
from healthai.sources import SOURCES


def ingest_file(source: str, path: Path) -> str:
    spec = SOURCES[source]
    engine = get_engine(get_settings().database_url)
    with session_scope(engine) as session:
        run = ingest.start_run(session, spec, "fault-test")
        item = ingest.land(session, spec, run, path)
        if item.duplicate_of is not None:
            ingest.finish_run(run, "skipped", f"{path.name}: already ingested")
    fault_point("after_land")
    if item.duplicate_of is None:
        try:
            with session_scope(engine) as session:
                try:
                    checked = ingest.check(session, spec, item)
                except ContractError as exc:
                    ingest.finish_run(session.get(IngestionRun, item.run_id), "failed", str(exc))
                    return "refused"
            fault_point("after_check")
            with session_scope(engine) as session:
                cleaned = ingest.clean(session, spec, checked)
                run = session.get(IngestionRun, item.run_id)
                staged = ingest.stage(session, spec, cleaned, run)
                if staged is None:
                    ingest.finish_run(run, "succeeded")
                else:
                    soft = {k: (d, checked.soft.get(k, 0)) for k, (d, _) in spec.soft_rules.items()}
                    batches.audit(session, staged, soft)
                    session.refresh(run)
                    ingest.finish_run(
                        run, "succeeded" if staged.status != "audit_failed" else "partial"
                    )
            fault_point("after_stage")
        finally:
            ingest.discard_work(item)
    with session_scope(engine) as session:  # the publication asset
        batches.settle(session)
    return "done"


if __name__ == "__main__":
    print(ingest_file(sys.argv[1], Path(sys.argv[2])))
