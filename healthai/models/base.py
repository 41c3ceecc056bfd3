"""Declarative base, naming convention and the lineage columns every published row carries."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CHAR, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Lineage:
    """Row-level lineage: the batch that published the row, the source file's fingerprint and
    the row number (or record key) in that file, so any value traces back to its source and
    any batch can be removed exactly."""

    @declared_attr
    def batch_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(
            ForeignKey("batches.id"), index=True, comment="Batch that published this row."
        )

    source_sha256: Mapped[str] = mapped_column(
        CHAR(64), comment="SHA-256 of the source file or API response."
    )
    source_record: Mapped[str] = mapped_column(
        String(200), comment="Row number (1-based, header excluded) or record key in the source."
    )
    since_version: Mapped[int | None] = mapped_column(
        Integer,
        comment="Dataset version from which this row holds, when it differs from its batch's "
        "publication (a row written or changed through the API); NULL otherwise.",
    )


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, comment="When the row was written."
    )


def pk() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True)
