"""Pseudonymisation of identifiers, shared by the API's exports, the web interface's downloads
and the consolidated export for data scientists.

A pseudonym is HMAC-SHA256, keyed with `PSEUDONYM_SECRET`, of `<domain>:<id>` (domain `user`
for a person, the table's name for a row of facts), truncated to 16 hex characters: stable (so
exports can be joined with each other) and not reversible without the secret. The same value is
computed in SQL (`pseudonym_sql`), so that a pseudonymised export is ordered and paged by
pseudonym in the database, never by real id.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlalchemy import Column, LargeBinary, String, Table, bindparam, cast, func, literal
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from healthai.models.base import Lineage
from healthai.settings import Settings

USER = "user"
LENGTH = 16  # hex characters kept of the HMAC (64 bits)
_BLOCK = 64  # SHA-256's block size, for HMAC in SQL
_SQLITE_FUNCTION = "healthai_hmac16"

# Columns that tie a row to its origin (file, line, batch, time written): dropped from every
# pseudonymised export, since each one joins back to identified data (the raw file, the batch
# samples, the audit log, the row order).
LINEAGE_COLUMNS = frozenset(
    {
        *(n for n in vars(Lineage) if not n.startswith("_")),
        "created_at",
        "record",  # the lean lineage of biometric_readings
        "reading_id",  # the long view's link to its reading's real id
    }
)
# Natural keys of a person: dropped too.
NATURAL_KEYS = frozenset({("users", "external_key")})


def _key(settings: Settings) -> bytes:
    return settings.pseudonym_secret.encode()


def pseudonym_of(settings: Settings, domain: str, value: int | None) -> str | None:
    """HMAC-SHA256 of `<domain>:<value>` with the pseudonym secret, 16 hex characters."""
    if value is None:
        return None
    digest = hmac.new(_key(settings), f"{domain}:{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:LENGTH]


def pseudonym(settings: Settings, user_id: int | None) -> str | None:
    """A stable pseudonym of a user id."""
    return pseudonym_of(settings, USER, user_id)


def user_columns(table: Table) -> list[str]:
    """Columns holding a user id: users.id and every foreign key to users."""
    cols = ["id"] if table.name == "users" else []
    return cols + [
        c.name
        for c in table.columns
        if any(fk.column.table.name == "users" for fk in c.foreign_keys)
        or c.info.get("references") == "users.id"  # a view's user id (no foreign keys)
    ]


def is_personal(table: Table) -> bool:
    """Rows about a person: the users table and every table with a foreign key to it."""
    return bool(user_columns(table))


def pseudonymised_columns(table: Table) -> dict[str, str]:
    """{column: pseudonym domain} of a table about people: its user ids (`user`) and, for a
    table of facts, its own row id (the table's name)."""
    domains = {c: USER for c in user_columns(table)}
    if domains and table.name != "users" and "id" in table.c and table.c.id.primary_key:
        domains["id"] = table.name
    return domains


def export_columns(table: Table, identified: bool) -> list[Column]:
    """The columns an export of `table` carries: all of them when identified; for a table
    about people pseudonymised, neither lineage nor natural keys."""
    if identified or not is_personal(table):
        return list(table.columns)
    return [
        c
        for c in table.columns
        if c.name not in LINEAGE_COLUMNS and (table.name, c.name) not in NATURAL_KEYS
    ]


# ----------------------------------------------------------------------------- in SQL
def _sqlite_hmac16(key: bytes, message: str | None) -> str | None:
    if message is None:
        return None
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:LENGTH]


def prepare(session: Session) -> None:
    """Make `pseudonym_sql` computable on this session's connection (SQLite has no SHA-256:
    a deterministic Python function is registered on the connection)."""
    if session.get_bind().dialect.name == "sqlite":
        connection = session.connection().connection.driver_connection
        assert connection is not None  # an open connection of this session
        connection.create_function(_SQLITE_FUNCTION, 2, _sqlite_hmac16, deterministic=True)


def pseudonym_sql(
    settings: Settings, dialect: str, domain: str, column: ColumnElement[Any]
) -> ColumnElement[str]:
    """The SQL expression computing `pseudonym_of(settings, domain, column)` in the database
    (PostgreSQL: HMAC written with the built-in sha256(); SQLite: the function `prepare`
    registers). NULL stays NULL."""
    message = literal(f"{domain}:", String) + cast(column, String)
    key = _key(settings)
    if dialect == "sqlite":
        return getattr(func, _SQLITE_FUNCTION)(bindparam(None, key, LargeBinary), message)
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner_key = bytes(b ^ 0x36 for b in key)
    outer_key = bytes(b ^ 0x5C for b in key)
    inner = func.sha256(
        bindparam(None, inner_key, LargeBinary).op("||")(func.convert_to(message, "UTF8"))
    )
    outer = func.sha256(bindparam(None, outer_key, LargeBinary).op("||")(inner))
    return func.substr(func.encode(outer, "hex"), 1, LENGTH)
