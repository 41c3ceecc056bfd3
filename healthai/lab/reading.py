"""Reading the published data as a data scientist, under the API's access policy.

`Lab` (what `healthai.lab.connect()` returns) reads a published table, the consolidated
dataset or the feature table into pandas, at the latest dataset version or `as_of` an earlier
one, for one principal (`healthai.access.Principal`):

| role's scopes | tables about people | catalogue tables |
|---|---|---|
| `exports:read` (admin, steward, analyst) | pseudonymised, like the API's exports | as is |
| `people:read` without `exports:read` (partner) | its organisation's members only | as is |
| `identified=True` | `exports:identified` (admin), or `people:read` (partner: members) | — |

Pseudonymised means what the exports do (`healthai.privacy`): user ids and the own ids of rows
about people become pseudonyms, lineage columns and natural keys are left out. Every read of
a table about people is one row of the personal-data access log, as in the API
(`access.log_personal_access`, action `export`, path `lab:<what>`).

The reads are exact as of a dataset version (`healthai.pipeline.versions.as_of`): the same
rows before and after any later publication, rollback, correction or API write; an erased
person is gone from every version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select, Table, select
from sqlalchemy.orm import Session

from healthai import access, privacy
from healthai.db import get_engine, session_factory
from healthai.lab.identity import NotSignedIn
from healthai.models import HISTORY, PUBLISHED, DatasetVersion, User, metadata, views
from healthai.pipeline import versions
from healthai.settings import Settings, get_settings

# Tables without versions: the vocabularies (they only grow) and the tenants.
REFERENCE = ("organisations", "body_parts", "muscles", "equipment")
# The consolidated dataset: every published table and the reference tables they point to.
CONSOLIDATED: tuple[str, ...] = (*REFERENCE, *(t.name for t in PUBLISHED))
# Names a reader may use for a published table of another shape: the long view of the
# biometric readings (one row per metric) is what the API and the analytics show.
READ_ALIASES: dict[str, str] = {"biometric_measurements": "biometric_readings"}
# Everything a notebook may read.
TABLES: tuple[str, ...] = (*CONSOLIDATED, *READ_ALIASES)


# The views a reader may name, described by their models (healthai.privacy knows the
# view's user id and lineage columns).
VIEWS: dict[str, Table] = {
    "biometric_measurements": views.ViewBase.metadata.tables["biometric_measurements"],
}


class LabAccessDenied(PermissionError):
    """The principal's role may not read this (the message says which scope it lacks)."""


def current_version(session: Session) -> int:
    return versions.current(session)


def table_of(name: str) -> Table:
    if name not in TABLES:
        raise KeyError(f"{name!r} is not a published table; tables: {', '.join(TABLES)}")
    return VIEWS[name] if name in VIEWS else metadata.tables[name]


def rows_as_of(session: Session, name: str, version: int) -> Select:
    """The rows of `name` at `version`. Reference tables are read as they are (they only
    grow). Lists attached to a row (a user's allergies, a recipe's ingredients, an exercise's
    muscles) carry no versions of their own: they are today's, for the rows of that version
    they belong to."""
    if name in REFERENCE:
        return select(*metadata.tables[name].c)
    if name in HISTORY or name in READ_ALIASES:
        return versions.as_of(session, name, version)
    table = metadata.tables[name]
    stmt = select(*table.c)
    for column in table.columns:
        for fk in column.foreign_keys:
            parent = fk.column.table.name
            if parent in HISTORY:
                held = versions.as_of(session, parent, version).subquery()
                stmt = stmt.where(column.in_(select(held.c[fk.column.name])))
    return stmt


@dataclass(frozen=True)
class Policy:
    """What one principal may read, and how (the API's rules)."""

    principal: access.Principal

    def check(self, table: Table, identified: bool) -> None:
        p = self.principal
        if not privacy.is_personal(table):
            scope = "organisations:read" if table.name == "organisations" else "catalogue:read"
            if not p.can(scope):
                raise LabAccessDenied(f"the {p.role} role may not read {table.name} ({scope})")
            return
        if identified and not (p.can("exports:identified") or p.can("people:read")):
            raise LabAccessDenied(
                f"the {p.role} role may not see identities (needs exports:identified): "
                "read with identified=False for pseudonyms"
            )
        if not (p.can("exports:read") or p.can("people:read")):
            raise LabAccessDenied(f"the {p.role} role may not read {table.name}")

    def pseudonymised(self, table: Table, identified: bool) -> bool:
        return privacy.is_personal(table) and not identified

    @property
    def tenant(self) -> int | None:
        return self.principal.tenant


def _confine(frame: pd.DataFrame, table: Table, members: set[int], tenant: int) -> pd.DataFrame:
    """A partner's rows: its organisation, its members and their facts."""
    if table.name == "organisations":
        return frame[frame["id"] == tenant]
    columns = privacy.user_columns(table)
    if not columns:
        return frame
    keep = pd.Series(True, index=frame.index)
    for column in columns:
        keep &= frame[column].isin(members) | (frame[column].isna() & (column != "id"))
    return frame[keep]


def pseudonymise(frame: pd.DataFrame, table: Table, settings: Settings) -> pd.DataFrame:
    """The frame as the pseudonymised exports give it: ids of people and of their facts as
    pseudonyms, no lineage, no natural key; rows ordered by pseudonym (never by real id)."""
    keep = [c.name for c in privacy.export_columns(table, identified=False)]
    out = frame[[c for c in frame.columns if c in keep]].copy()
    for column, domain in privacy.pseudonymised_columns(table).items():
        if column in out:
            out[column] = _pseudonyms(out[column], domain, settings)
    return ordered(out)


def _pseudonyms(ids: pd.Series, domain: str, settings: Settings) -> pd.Series:
    """The pseudonym of every id of a column (each distinct id hashed once)."""
    mapping = {
        int(v): privacy.pseudonym_of(settings, domain, int(v)) for v in ids.dropna().unique()
    }
    return ids.map(lambda v: None if pd.isna(v) else mapping[int(v)])


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one fixed order, whatever order the database returned them in: by id (a
    pseudonym when pseudonymised), user, then every other column."""
    first = [c for c in ("id", "user_id") if c in frame]
    keys = first + [c for c in frame.columns if c not in first]
    if frame.empty or not keys:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, na_position="last", kind="mergesort", ignore_index=True)


def frame_of(session: Session, stmt: Select) -> pd.DataFrame:
    """The rows as a DataFrame, times in UTC on both engines (the platform stores UTC;
    SQLite hands them back without their zone)."""
    result = session.execute(stmt)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert("UTC")
    return frame


@dataclass
class Lab:
    """A principal's reading session on one database (see the module's docstring)."""

    principal: access.Principal
    engine: Engine
    settings: Settings

    @property
    def policy(self) -> Policy:
        return Policy(self.principal)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session for one read, after checking that the reader's account still holds the
        rights it had at connect (as every API request does)."""
        with session_factory(self.engine)() as session:
            p = self.principal
            if p.account_id:  # the pipeline has no account
                state = access.account_state(session, p.account_id)
                if (
                    state is None
                    or not state.is_active
                    or (state.role, state.organisation_id) != (p.role, p.organisation_id)
                ):
                    raise NotSignedIn("your account was changed or disabled: connect again")
            yield session

    # -------------------------------------------------------------------- versions
    def version(self) -> int:
        """The latest dataset version (0 before anything was published)."""
        with self._session() as session:
            return current_version(session)

    def versions(self) -> pd.DataFrame:
        """Every dataset version: when, what made it (publication, rollback, ...), batch."""
        with self._session() as session:
            stmt = select(
                DatasetVersion.version,
                DatasetVersion.at,
                DatasetVersion.kind,
                DatasetVersion.batch_id,
            ).order_by(DatasetVersion.version)
            return frame_of(session, stmt)

    def _resolve(self, session: Session, as_of: int | None) -> int:
        latest = current_version(session)
        if as_of is None:
            return latest
        if not 0 <= as_of <= latest:
            raise ValueError(f"no dataset version {as_of} (the latest is {latest})")
        return as_of

    # -------------------------------------------------------------------- reads
    def _members(self, session: Session) -> set[int]:
        tenant = self.policy.tenant
        return set(session.scalars(select(User.id).where(User.organisation_id == tenant)))

    def _read(self, session: Session, name: str, version: int, identified: bool) -> pd.DataFrame:
        table = table_of(name)
        self.policy.check(table, identified)
        frame = frame_of(session, rows_as_of(session, name, version))
        if self.policy.tenant is not None:
            frame = _confine(frame, table, self._members(session), self.policy.tenant)
        if self.policy.pseudonymised(table, identified):
            return pseudonymise(frame, table, self.settings)
        return ordered(frame)

    def _log(self, session: Session, what: str, detail: dict[str, Any]) -> None:
        access.log_personal_access(session, self.principal, "export", what, f"lab:{what}", detail)
        session.commit()

    def table(self, name: str, as_of: int | None = None, identified: bool = False) -> pd.DataFrame:
        """One published table at dataset version `as_of` (None: the latest)."""
        with self._session() as session:
            version = self._resolve(session, as_of)
            frame = self._read(session, name, version, identified)
            frame.attrs["dataset_version"] = version
            if privacy.is_personal(table_of(name)):
                self._log(
                    session,
                    name,
                    {"as_of": version, "identified": identified, "rows": len(frame)},
                )
            return frame

    def consolidated(
        self, as_of: int | None = None, identified: bool = False
    ) -> dict[str, pd.DataFrame]:
        """Every table the principal may read, at one dataset version."""
        out: dict[str, pd.DataFrame] = {}
        with self._session() as session:
            version = self._resolve(session, as_of)
            for name in CONSOLIDATED:
                try:
                    out[name] = self._read(session, name, version, identified)
                except LabAccessDenied:
                    continue
                out[name].attrs["dataset_version"] = version
            personal = {n: len(f) for n, f in out.items() if privacy.is_personal(table_of(n))}
            if personal:
                self._log(
                    session,
                    "consolidated",
                    {"as_of": version, "identified": identified, "rows": personal},
                )
        return out

    def snapshot(self, as_of: int | None = None) -> dict[str, pd.DataFrame]:
        """The stored snapshot of a dataset version (healthai.lab.snapshots: Parquet checked
        against the manifest's checksums), pseudonymised; written first when it is not on
        disk (the same files as the first time). Needs `exports:read`."""
        from healthai.lab import snapshots

        if not self.principal.can("exports:read"):
            raise LabAccessDenied(f"the {self.principal.role} role may not read snapshots")
        with self._session() as session:
            version = self._resolve(session, as_of)
            if version not in snapshots.stored(self.settings):
                snapshots.write(session, self.settings, version)
            tables = snapshots.read(self.settings, version)
            self._log(
                session,
                "snapshot",
                {"as_of": version, "rows": {n: len(f) for n, f in tables.items()}},
            )
        return tables

    def features(
        self,
        as_of: int | None = None,
        point_in_time: bool = True,
        days: tuple[date, date] | None = None,
        identified: bool = False,
    ) -> pd.DataFrame:
        """The feature table (healthai.lab.features) at dataset version `as_of`.

        `point_in_time=True`: the features of day D use what was published before D began.
        `False`: every row of the version counts from its own day on (the data as it stands at
        that version, late batches included: for training on a snapshot of history that was
        loaded at once, see docs/data-scientists.md)."""
        from healthai.lab import features, timeline

        users = metadata.tables["users"]
        self.policy.check(users, identified)
        with self._session() as session:
            version = self._resolve(session, as_of)
            frames = timeline.feature_inputs(session, version, point_in_time)
            span = days or timeline.feature_days(session, version, frames, point_in_time)
            table = features.build(frames, span)
            if self.policy.tenant is not None:
                table = table[table["user_id"].isin(self._members(session))]
            if not identified:
                pseudonyms = _pseudonyms(table["user_id"], privacy.USER, self.settings)
                table = table.assign(user_id=pseudonyms).sort_values(
                    features.KEYS, ignore_index=True
                )
            table.attrs["dataset_version"] = version
            self._log(
                session,
                "features",
                {"as_of": version, "identified": identified, "rows": len(table)},
            )
            return table


def open_lab(
    principal: access.Principal, database_url: str | None = None, settings: Settings | None = None
) -> Lab:
    settings = settings or get_settings()
    return Lab(principal, get_engine(database_url or settings.database_url), settings)
