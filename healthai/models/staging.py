"""Staging tables, derived from the published tables so that no column is declared twice.

For each published table `T`, `staging_T` holds the cleaned rows of batches not yet published:
the same columns, without constraints, where each foreign key `x_id` becomes `x_key`, the
natural key of the referenced row. Publication resolves those keys with one set-based
INSERT ... SELECT per table, inside one transaction.

Staging is written in bulk (COPY) and emptied at publication, so it carries nothing a row does
not need: no foreign key to `batches` (a per-row check that cost about half of the COPY time
at 4 M rows; batches are never deleted, their status changes), and no per-row source
fingerprint (the same for every row of a batch: `batches.source_sha256`).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from healthai.models.base import Base
from healthai.models.domain import (
    AppSession,
    BiometricReading,
    DailyActivity,
    Exercise,
    ExerciseMuscle,
    Food,
    MealLog,
    Recipe,
    RecipeIngredient,
    SatisfactionSurvey,
    Subscription,
    User,
    UserAllergy,
    UserDietaryRestriction,
    WorkoutSession,
)

# The natural key of every table a staged row may reference.
NATURAL_KEYS: dict[str, str] = {
    "users": "external_key",
    "organisations": "slug",
    "foods": "code",
    "recipes": "code",
    "exercises": "code",
    "body_parts": "name",
    "muscles": "name",
    "equipment": "name",
}
# Vocabularies grow at publication: a name not yet known is added.
VOCABULARIES = frozenset({"body_parts", "muscles", "equipment"})

# Published tables fed by the pipeline, parents before children.
PUBLISHED: tuple[Table, ...] = tuple(
    m.__table__  # type: ignore[attr-defined]
    for m in (
        User,
        UserDietaryRestriction,
        UserAllergy,
        Subscription,
        Food,
        Recipe,
        RecipeIngredient,
        MealLog,
        Exercise,
        ExerciseMuscle,
        WorkoutSession,
        BiometricReading,
        DailyActivity,
        AppSession,
        SatisfactionSurvey,
    )
)


def key_column_name(fk_column: str) -> str:
    """`user_id` -> `user_key`."""
    return fk_column.removesuffix("_id") + "_key"


def _staging_table(core: Table) -> Table:
    columns: list[Column] = [Column("staging_id", Integer, primary_key=True)]
    if "batch_id" not in core.c:
        columns += [
            Column("batch_id", Integer),
            Column("source_record", String(200)),
        ]
    for col in core.columns:
        if col.name in ("id", "source_sha256", "since_version"):
            continue
        if col.name == "batch_id":
            columns.append(Column("batch_id", Integer))
            continue
        fks = list(col.foreign_keys)
        if fks and fks[0].column.table.name in NATURAL_KEYS:
            columns.append(Column(key_column_name(col.name), String(200)))
        else:
            columns.append(Column(col.name, col.type))
    table = Table(
        f"staging_{core.name}",
        Base.metadata,
        *columns,
        comment=f"Cleaned rows of unpublished batches for {core.name}.",
    )
    Index(f"ix_staging_{core.name}_batch_id", table.c.batch_id)
    return table


STAGING: dict[str, Table] = {t.name: _staging_table(t) for t in PUBLISHED}


def record_column(table: Table) -> str:
    """The lineage column holding a row's record in its source: `record` (an integer, in the
    lean tables) or `source_record` (text)."""
    return "record" if "record" in table.c else "source_record"


def _history_table(core: Table) -> Table:
    columns = [Column(c.name, c.type, comment=c.comment) for c in core.columns]
    columns.append(
        Column(
            "until_version",
            Integer,
            comment="Dataset version from which this row no longer holds (changed or deleted "
            "through the API); NULL when it left with its batch's rollback.",
        )
    )
    table = Table(
        f"{core.name}_history",
        Base.metadata,
        *columns,
        comment=f"Rows that left {core.name} (rolled back with their batch, or changed or "
        "deleted through the API), kept for as-of reads (healthai.pipeline.versions).",
    )
    Index(f"ix_{core.name}_history_batch_id", table.c.batch_id)
    return table


# History of every published table that carries lineage: as-of reads of a version read the
# live rows and these (erasure removes a person from both).
HISTORY: dict[str, Table] = {t.name: _history_table(t) for t in PUBLISHED if "batch_id" in t.c}
