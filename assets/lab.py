"""The data scientists' workspace in Dagster (healthai.lab, docs/data-scientists.md):

- `published/<table>`: the published tables, as external assets. Nothing in Dagster writes
  them directly (publication, rollback, corrections, API writes and erasure all change them):
  the `dataset_version` sensor reports a materialization of each table a new dataset version
  changed, with the version in its metadata.
- `lab/<output>`: one asset per notebook of `notebooks/analyses/` (LAB_NOTEBOOKS_DIR),
  discovered when the code location loads: it depends on the tables its parameters cell
  `reads`, runs again when they change (AutomationCondition.eager, evaluated by the
  `lab_automation` sensor), and records its output table (Parquet) and the executed notebook
  (HTML). A failing cell fails the asset with the cell's source and error.
"""

from collections.abc import Iterable
from pathlib import Path

import dagster as dg
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from assets.resources import Database
from healthai import access, privacy
from healthai.lab import features, identity, notebooks, snapshots
from healthai.lab.notebooks import AnalysisNotebook, NotebookFailed
from healthai.lab.reading import READ_ALIASES, open_lab
from healthai.models import PUBLISHED, Batch, DatasetVersion
from healthai.pipeline import versions
from healthai.settings import get_settings

PUBLISHED_GROUP = "published"
ANALYSES_GROUP = "analyses"
# Names a notebook may list in `reads` besides the published tables: the lab's own assets.
LAB_ASSETS = ("features", "snapshot")


def published_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["published", table])


def lab_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["lab", name])


published_tables = [
    dg.AssetSpec(
        published_key(t.name),
        group_name=PUBLISHED_GROUP,
        kinds={"sql"},
        description=f"The published `{t.name}` table (docs/data-model.md). Changed by "
        "publications, rollbacks, corrections, API writes and erasures; the dataset_version "
        "sensor records each change with its dataset version.",
    )
    for t in PUBLISHED
]


def _deps(nb: AnalysisNotebook, outputs: set[str]) -> tuple[list[dg.AssetKey], list[str]]:
    """The asset keys a notebook's `reads` name, and the names that match nothing."""
    tables = {t.name for t in PUBLISHED}
    keys, unknown = [], []
    for name in nb.reads:
        if READ_ALIASES.get(name, name) in tables:
            keys.append(published_key(READ_ALIASES.get(name, name)))
        elif name in LAB_ASSETS or (name in outputs and name != nb.output):
            keys.append(lab_key(name))
        else:
            unknown.append(name)
    return keys, unknown


def _schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(str(c), str(t)) for c, t in frame.dtypes.items()])


def _failure(nb: AnalysisNotebook, exc: NotebookFailed) -> dg.Failure:
    metadata: dict[str, dg.RawMetadataValue] = {
        "notebook": dg.MetadataValue.path(str(nb.path)),
        "cell": exc.cell if exc.cell is not None else "unknown",
        "error": exc.error,
        "cell_source": dg.MetadataValue.md(f"```python\n{exc.source}\n```"),
        "traceback": dg.MetadataValue.text(exc.traceback),
    }
    if exc.html is not None:
        metadata["executed_notebook"] = dg.MetadataValue.path(str(exc.html))
    return dg.Failure(description=str(exc), metadata=metadata)


def notebook_asset(nb: AnalysisNotebook, outputs: set[str]) -> dg.AssetsDefinition:
    deps, unknown = _deps(nb, outputs)
    problems = [
        *nb.problems,
        *(
            f"`reads` names {name!r}, which is neither a published table nor a lab asset "
            f"({', '.join(LAB_ASSETS)}) nor another notebook's output"
            for name in unknown
        ),
    ]
    key = lab_key(nb.output)

    @dg.asset(
        key=key,
        deps=deps,
        group_name=ANALYSES_GROUP,
        kinds={"jupyter", "parquet"},
        owners=[nb.owner] if nb.owner and "@" in nb.owner else [],
        tags={"notebook": nb.path.name},
        description=(nb.description or f"Notebook {nb.path.name}.")
        + f"\n\nNotebook `{nb.path.name}`, run by papermill; output table `{nb.output}`."
        + ("\n\n**Not runnable:** " + "; ".join(problems) if problems else ""),
        automation_condition=dg.AutomationCondition.eager(),
    )
    def _asset(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
        if problems:
            raise dg.Failure(
                description=f"{nb.path.name} does not follow the notebook convention: "
                + "; ".join(problems),
                metadata={"notebook": dg.MetadataValue.path(str(nb.path))},
            )
        settings = get_settings()
        out_dir = settings.var_dir / "lab" / nb.output
        output = out_dir / f"{nb.output}.parquet"
        for stale in (output, notebooks.metrics_path(output)):
            stale.unlink(missing_ok=True)
        version = _current_version(database) if nb.as_of is None else nb.as_of
        env = {
            "DATABASE_URL": database.url or settings.database_url,
            notebooks.PIPELINE_ENV: key.to_user_string(),
        }
        try:
            run = notebooks.execute(
                nb,
                out_dir,
                {"as_of": version, "output_path": str(output)},
                env,
                settings.lab_notebook_timeout_s,
            )
        except NotebookFailed as exc:
            raise _failure(nb, exc) from None
        if not output.exists():
            raise dg.Failure(
                description=f"{nb.path.name} ran but wrote no output table: end it with "
                "`lab.save_output(frame, output_path)`",
                metadata={"executed_notebook": dg.MetadataValue.path(str(run.html))},
            )
        frame = pd.read_parquet(output)
        metrics = notebooks.read_metrics(output)
        context.log.info(f"{nb.path.name}: {len(frame)} rows in {run.seconds} s")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(frame),
                "dagster/column_schema": _schema(frame),
                "output": dg.MetadataValue.path(str(output)),
                "executed_notebook": dg.MetadataValue.path(str(run.html)),
                "dataset_version": version if version is not None else "none",
                "seconds": run.seconds,
                "preview": dg.MetadataValue.md(frame.head(10).to_markdown(index=False)),
                **{f"metric/{k}": v for k, v in metrics.items() if isinstance(v, int | float)},
                **({"metrics": dg.MetadataValue.json(metrics)} if metrics else {}),
            }
        )

    return _asset


def _current_version(database: Database) -> int:
    with database.session() as session:
        return versions.current(session)


def build_lab_assets(folder: Path | None = None) -> list[dg.AssetsDefinition]:
    """One asset per notebook of the analyses folder (LAB_NOTEBOOKS_DIR by default)."""
    found = notebooks.discover(folder or get_settings().lab_notebooks_dir)
    outputs = {nb.output for nb in found}
    return [notebook_asset(nb, outputs) for nb in found]


# ----------------------------------------------------------------------------- versions
def changed_tables(session: Session, after: int, upto: int) -> set[str]:
    """The published tables that the versions after `after` up to `upto` changed."""
    every = {t.name for t in PUBLISHED}
    changed: set[str] = set()
    rows = session.execute(
        select(DatasetVersion.kind, DatasetVersion.detail, Batch.rows_by_table)
        .outerjoin(Batch, Batch.id == DatasetVersion.batch_id)
        .where(DatasetVersion.version > after, DatasetVersion.version <= upto)
    ).all()
    for kind, detail, rows_by_table in rows:
        if rows_by_table:
            changed |= set(rows_by_table) & every
        elif detail and detail.get("table") in every:
            changed.add(detail["table"])
        elif kind == "erasure":
            changed |= {t.name for t in PUBLISHED if privacy.is_personal(t)}
        else:  # a change whose tables are not recorded: say everything may have changed
            changed |= every
    return changed


@dg.sensor(
    name="dataset_version",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records every new dataset version (publication, rollback, correction, API "
    "write, erasure) as a materialization of the published tables it changed, so that the "
    "assets reading them run again.",
)
def dataset_version(context: dg.SensorEvaluationContext, database: Database):
    seen = int(context.cursor) if context.cursor else None
    with database.session() as session:
        current = versions.current(session)
        if current == (seen or 0):
            context.update_cursor(str(current))
            return dg.SkipReason(f"dataset version {current}: nothing new")
        changed = (
            {t.name for t in PUBLISHED} if seen is None else changed_tables(session, seen, current)
        )
    return dg.SensorResult(
        asset_events=[
            dg.AssetMaterialization(
                published_key(name),
                description=f"dataset version {current}",
                metadata={"dataset_version": current},
            )
            for name in sorted(changed)
        ],
        cursor=str(current),
    )


# ----------------------------------------------------------------------------- lab assets
def _inputs(tables: Iterable[str]) -> list[dg.AssetKey]:
    published = {t.name for t in PUBLISHED}
    return [
        published_key(READ_ALIASES.get(t, t)) for t in tables if READ_ALIASES.get(t, t) in published
    ]


@dg.asset(
    key=lab_key("snapshot"),
    deps=[published_key(t.name) for t in PUBLISHED],
    group_name="lab",
    kinds={"parquet"},
    automation_condition=dg.AutomationCondition.eager(),
    description="The consolidated dataset of the latest dataset version, written as Parquet "
    "(pseudonymised) with a manifest (version, batches, rows, checksums, schema, quality "
    "scores, erasures) and a datasheet, in var/snapshots/v<version>/: what a model is "
    "trained on, reproducible from its version.",
)
def snapshot(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
    settings = get_settings()
    reader = identity.pipeline_principal("lab/snapshot")
    with database.session() as session:
        info = snapshots.write(session, settings)
        version = info["dataset_version"]
        access.log_personal_access(
            session,
            reader,
            "export",
            "snapshot",
            "dagster:lab/snapshot",
            {"as_of": version, "rows": {k: v["rows"] for k, v in info["tables"].items()}},
        )
    pruned = snapshots.prune(settings, settings.lab_snapshots_keep)
    where = snapshots.folder(settings, version)
    context.log.info(f"snapshot of version {version} in {where}; pruned {pruned}")
    return dg.MaterializeResult(
        metadata={
            "dataset_version": version,
            "folder": dg.MetadataValue.path(str(where)),
            "datasheet": dg.MetadataValue.path(str(where / snapshots.DATASHEET)),
            "dagster/row_count": sum(t["rows"] for t in info["tables"].values()),
            "batches": len(info["batches"]),
            "tables": dg.MetadataValue.md(
                "| table | rows | sha256 |\n|---|---|---|\n"
                + "\n".join(
                    f"| {n} | {t['rows']} | `{t['sha256'][:16]}` |"
                    for n, t in info["tables"].items()
                )
            ),
            "snapshots_pruned": dg.MetadataValue.json(pruned),
        }
    )


@dg.asset(
    key=lab_key("features"),
    deps=_inputs(features.INPUTS),
    group_name="lab",
    kinds={"pandas", "parquet"},
    automation_condition=dg.AutomationCondition.eager(),
    description="The feature table for the AI modules: one row per user and day, point in "
    "time (a day's features use only what was published before it began), pseudonymised, "
    "in var/lab/features/features.parquet. Every column is in docs/features.md.",
)
def feature_table(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
    settings = get_settings()
    db = open_lab(identity.pipeline_principal("lab/features"), database.url or None, settings)
    table = db.features()
    version = table.attrs["dataset_version"]
    out = settings.var_dir / "lab" / "features" / "features.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    described = {f.name: f for f in features.FEATURES}
    return dg.MaterializeResult(
        metadata={
            "dataset_version": version,
            "output": dg.MetadataValue.path(str(out)),
            "dagster/row_count": len(table),
            "users": int(table["user_id"].nunique()),
            "days": f"{table['day'].min()} … {table['day'].max()}" if len(table) else "none",
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        str(c),
                        str(t),
                        description=described[c].description if c in described else None,
                    )
                    for c, t in table.dtypes.items()
                ]
            ),
        }
    )


lab_automation = dg.AutomationConditionSensorDefinition(
    "lab_automation",
    target=dg.AssetSelection.key_prefixes(["lab"]),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Runs the notebook assets, the snapshot and the feature table again when "
    "the published tables they read change (their automation conditions).",
)
