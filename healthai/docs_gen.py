"""Generate the documents the code already knows, so they cannot drift from it:

- docs/data-model.md, from the SQLAlchemy metadata (the same metadata Alembic's migrations
  are checked against): MCD, MLD, MPD and the data dictionary;
- docs/sources.md, from the source declarations (healthai/sources/): the inventory, with
  volumes counted by the project's own reader; the hand-written justification after the
  HAND_WRITTEN marker is kept as it is;
- docs/data-flow.md, from the Dagster asset graph (assets/definitions.py);
- docs/features.md, the dictionary of the feature table (healthai/lab/features.py);
- the generated block of docs/privacy.md (personal tables from the metadata, roles and scopes
  from healthai/access/roles.py), between its BEGIN/END GENERATED markers; the rest is hand-written.

`healthai docs` (or `make docs-gen`) rewrites it; tests/test_docs.py fails when it is stale.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Column, ForeignKeyConstraint, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

from healthai.migrate import SQL_DIR, alembic_config, sql_script_paths
from healthai.models import STAGING, Base, metadata
from healthai.settings import PROJECT_ROOT

if TYPE_CHECKING:  # the pipeline (pandas, pandera) is imported only to render sources.md
    from healthai.pipeline.spec import SourceSpec

DOCS_DIR = PROJECT_ROOT / "docs"
DATA_MODEL_PATH = DOCS_DIR / "data-model.md"
PG = postgresql.dialect()

# The module that declares a table decides its group; staging tables are derived ones.
GROUPS = {
    "healthai.models.domain": "Domain (published data)",
    "healthai.models.pipeline": "Pipeline (ingestion, batches, quarantine, audit)",
    "healthai.models.quality": "Data quality",
    "healthai.models.accounts": "API accounts and access log",
}
STAGING_GROUP = "Staging (unpublished batches)"
LINEAGE_COLUMNS = ("batch_id", "source_sha256", "source_record")


# ----------------------------------------------------------------------------- introspection


def _classes() -> dict[str, type]:
    return {m.local_table.name: m.class_ for m in Base.registry.mappers}


def _group(table: Table, classes: dict[str, type]) -> str:
    if table.name in {t.name for t in STAGING.values()}:
        return STAGING_GROUP
    cls = classes.get(table.name)
    return GROUPS.get(cls.__module__ if cls else "", "Other")


def grouped_tables() -> dict[str, list[Table]]:
    classes = _classes()
    groups: dict[str, list[Table]] = {g: [] for g in [*GROUPS.values(), STAGING_GROUP]}
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        groups.setdefault(_group(table, classes), []).append(table)
    return {g: ts for g, ts in groups.items() if ts}


def _description(table: Table) -> str:
    if table.comment:
        return " ".join(table.comment.split())
    cls = _classes().get(table.name)
    doc = inspect.getdoc(cls) if cls is not None and cls.__doc__ else ""
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


def _pg_type(column: Column) -> str:
    return column.type.compile(dialect=PG)


def _sql(clause: object) -> str:
    text = str(clause.compile(dialect=PG, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    return " ".join(text.split())


def _constraint_name(constraint: object) -> str:
    name = getattr(constraint, "name", None)
    return str(name) if name else "(unnamed)"


def _fk_constraints(table: Table) -> list[ForeignKeyConstraint]:
    return sorted(
        (c for c in table.constraints if isinstance(c, ForeignKeyConstraint)),
        key=lambda c: [col.name for col in c.columns],
    )


def _checks(table: Table) -> list[CheckConstraint]:
    found = [c for c in table.constraints if isinstance(c, CheckConstraint)]
    return sorted(found, key=_constraint_name)


def _uniques(table: Table) -> list[list[str]]:
    keys = [
        [c.name for c in u.columns]
        for u in table.constraints
        if isinstance(u, UniqueConstraint) and not isinstance(u, ForeignKeyConstraint)
    ]
    keys += [[c.name] for c in table.columns if c.unique]
    keys += [[c.name for c in i.columns] for i in table.indexes if i.unique]
    unique: list[list[str]] = []
    for key in keys:
        if key and key not in unique:
            unique.append(key)
    return sorted(unique)


def _one_to_one(fk: ForeignKeyConstraint, table: Table) -> bool:
    cols = [c.name for c in fk.columns]
    pk_cols = [c.name for c in table.primary_key.columns]
    return cols in _uniques(table) or cols == pk_cols


def _is_association(table: Table, domain: set[str]) -> bool:
    """An association (many-to-many): its key is made of references to two other entities."""
    pk_cols = {c.name for c in table.primary_key.columns}
    refs = {
        fk.referred_table.name
        for fk in _fk_constraints(table)
        if fk.referred_table.name in domain and {c.name for c in fk.columns} <= pk_cols
    }
    return len(refs) >= 2


def _cardinality(fk: ForeignKeyConstraint, table: Table) -> str:
    """Mermaid crow's feet, parent on the left: `||` exactly one, `|o` zero or one."""
    parent = "||" if all(not c.nullable for c in fk.columns) else "|o"
    child = "o|" if _one_to_one(fk, table) else "o{"
    return f"{parent}--{child}"


# ----------------------------------------------------------------------------- sections


def _mcd(domain: list[Table]) -> list[str]:
    names = {t.name for t in domain}
    lines = [
        "## 1. MCD: conceptual model",
        "",
        "Entities and associations of the published domain, with their cardinalities (crow's "
        "feet: `||` exactly one, `|o` zero or one, `o{` zero or many). An association carrying "
        "its own attributes is drawn as a many-to-many link named after its table. The "
        "lineage reference every published row has to its batch is left out here (see the MLD).",
        "",
        "```mermaid",
        "erDiagram",
    ]
    for table in domain:
        fks = [fk for fk in _fk_constraints(table) if fk.referred_table.name in names]
        if _is_association(table, names):
            a, b = sorted({fk.referred_table.name for fk in fks})[:2]
            extra = [
                c.name
                for c in table.columns
                if not c.foreign_keys and c.name not in LINEAGE_COLUMNS
            ]
            label = table.name + (f" ({', '.join(extra)})" if extra else "")
            lines.append(f'    {a} }}o--o{{ {b} : "{label}"')
            continue
        for fk in fks:
            rel = _cardinality(fk, table)
            label = ", ".join(c.name for c in fk.columns)
            lines.append(f'    {fk.referred_table.name} {rel} {table.name} : "{label}"')
    lines += ["```", ""]
    return lines


def _mermaid_type(column: Column) -> str:
    return type(column.type).__name__.lower()


def _mld_diagram(tables: Iterable[Table], title: str, skip_targets: set[str]) -> list[str]:
    tables = list(tables)
    names = {t.name for t in tables}
    lines = [f"### {title}", "", "```mermaid", "erDiagram"]
    for table in tables:
        lines.append(f"    {table.name} {{")
        pk_cols = {c.name for c in table.primary_key.columns}
        for column in table.columns:
            keys = []
            if column.name in pk_cols:
                keys.append("PK")
            if column.foreign_keys:
                keys.append("FK")
            if any(u == [column.name] for u in _uniques(table)):
                keys.append("UK")
            suffix = f" {','.join(keys)}" if keys else ""
            lines.append(f"        {_mermaid_type(column)} {column.name}{suffix}")
        lines.append("    }")
    for table in tables:
        for fk in _fk_constraints(table):
            target = fk.referred_table.name
            if target in names and target not in skip_targets:
                label = ", ".join(c.name for c in fk.columns)
                lines.append(f'    {target} {_cardinality(fk, table)} {table.name} : "{label}"')
    lines += ["```", ""]
    return lines


def _fk_text(fk: ForeignKeyConstraint) -> str:
    cols = ", ".join(c.name for c in fk.columns)
    refs = ", ".join(e.column.name for e in fk.elements)
    text = f"({cols}) → `{fk.referred_table.name}`({refs})"
    if fk.ondelete:
        text += f" ON DELETE {fk.ondelete}"
    return text


def _mld(groups: dict[str, list[Table]]) -> list[str]:
    lines = [
        "## 2. MLD: logical model",
        "",
        "Every table with its primary key (PK), foreign keys (FK) and unique natural keys (UK). "
        "In the domain diagram the lineage key `batch_id` (→ `batches`, the batch that "
        "published the row) is shown as a column but not drawn as a link.",
        "",
    ]
    domain = groups.get(GROUPS["healthai.models.domain"], [])
    lines += _mld_diagram(domain, "Domain", skip_targets={"batches"})
    others = [
        t
        for g, ts in groups.items()
        if g not in (GROUPS["healthai.models.domain"], STAGING_GROUP)
        for t in ts
    ]
    lines += _mld_diagram(others, "Pipeline, quality and accounts", skip_targets=set())
    lines += [
        "### Keys of every table",
        "",
        "| table | primary key | foreign keys | unique keys |",
        "|---|---|---|---|",
    ]
    for tables in groups.values():
        for table in tables:
            pk_cols = ", ".join(c.name for c in table.primary_key.columns)
            fks = "<br>".join(_fk_text(fk) for fk in _fk_constraints(table)) or "—"
            uks = "<br>".join(f"({', '.join(u)})" for u in _uniques(table)) or "—"
            lines.append(f"| `{table.name}` | ({pk_cols}) | {fks} | {uks} |")
    lines.append("")
    return lines


def _index_text(index: object) -> str:
    ddl = " ".join(str(CreateIndex(index).compile(dialect=PG)).split())  # type: ignore[arg-type]
    return ddl


def _mpd(groups: dict[str, list[Table]]) -> list[str]:
    lines = [
        "## 3. MPD: physical model (PostgreSQL)",
        "",
        "The PostgreSQL rendering of every constraint and index, compiled from the metadata with "
        "the `postgresql` dialect. Column types are in the data dictionary below. The exact "
        "DDL that creates them is the migrations' own SQL (see *Creation and migration "
        "scripts*).",
        "",
    ]
    for group, tables in groups.items():
        if group == STAGING_GROUP:
            continue
        lines += [f"### {group}", ""]
        for table in tables:
            lines += [f"#### `{table.name}`", ""]
            pk = table.primary_key
            pk_cols = ", ".join(c.name for c in pk.columns)
            lines.append(f"- PRIMARY KEY `{_constraint_name(pk)}` ({pk_cols})")
            for fk in _fk_constraints(table):
                lines.append(f"- FOREIGN KEY `{_constraint_name(fk)}` {_fk_text(fk)}")
            for u in sorted(
                (c for c in table.constraints if isinstance(c, UniqueConstraint)),
                key=_constraint_name,
            ):
                cols = ", ".join(c.name for c in u.columns)
                lines.append(f"- UNIQUE `{_constraint_name(u)}` ({cols})")
            for ck in _checks(table):
                lines.append(f"- CHECK `{_constraint_name(ck)}`: `{_sql(ck.sqltext)}`")
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                lines.append(f"- INDEX: `{_index_text(index)}`")
            lines.append("")
    staging = groups.get(STAGING_GROUP, [])
    if staging:
        lines += [
            f"### {STAGING_GROUP}",
            "",
            "Each `staging_T` holds the cleaned rows of batches not yet published, with the "
            "columns of `T` but without its constraints: each foreign key `x_id` becomes "
            "`x_key`, the natural key of the referenced row, resolved at publication, and "
            "the source fingerprint is the batch's (`batches.source_sha256`, one value for "
            "all its rows), written into each row at publication. Staging is written by COPY "
            "and emptied at publication, so it has no foreign key (batches are never "
            "deleted). Their keys and indexes:",
            "",
        ]
        for table in staging:
            parts = [f"PK ({', '.join(c.name for c in table.primary_key.columns)})"]
            parts += [f"FK {_fk_text(fk)}" for fk in _fk_constraints(table)]
            parts += [f"`{_index_text(i)}`" for i in sorted(table.indexes, key=lambda i: i.name)]
            lines.append(f"- `{table.name}`: " + "; ".join(parts))
        lines.append("")
    return lines


def _column_constraints(table: Table, column: Column) -> str:
    notes = []
    if column.primary_key:
        notes.append("PK")
    for fk in sorted(column.foreign_keys, key=lambda f: f.target_fullname):
        notes.append(f"FK → `{fk.column.table.name}.{fk.column.name}`")
    if any(u == [column.name] for u in _uniques(table)):
        notes.append("unique")
    elif any(column.name in u for u in _uniques(table)):
        notes.append("part of a unique key")
    if column.index or any(column.name in [c.name for c in i.columns] for i in table.indexes):
        notes.append("indexed")
    for ck in _checks(table):
        text = _sql(ck.sqltext)
        if _mentions(text, column.name):
            notes.append(f"CHECK `{text}`")
    if column.server_default is not None:
        notes.append(f"DEFAULT `{_sql(column.server_default.arg)}`")  # type: ignore[attr-defined]
    return "<br>".join(notes) or "—"


def _mentions(sql: str, name: str) -> bool:
    """Whether the SQL names the column (outside string literals)."""
    code = re.sub(r"'[^']*'", "''", sql)
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", code) is not None


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _dictionary(groups: dict[str, list[Table]]) -> list[str]:
    lines = [
        "## 4. Data dictionary",
        "",
        "Every table and column: PostgreSQL type, whether NULL is allowed, the constraints on "
        "the column, and its description (the column comment stored in the database).",
        "",
    ]
    for group, tables in groups.items():
        lines += [f"### {group}", ""]
        for table in tables:
            lines += [f"#### `{table.name}`", ""]
            description = _description(table)
            if description:
                lines += [_cell(description), ""]
            lines += [
                "| column | type | null | constraints | description |",
                "|---|---|---|---|---|",
            ]
            for column in table.columns:
                null = "yes" if column.nullable else "no"
                lines.append(
                    f"| `{column.name}` | {_pg_type(column)} | {null} | "
                    f"{_cell(_column_constraints(table, column))} | "
                    f"{_cell(column.comment or '')} |"
                )
            lines.append("")
    return lines


def _scripts() -> list[str]:
    script_dir = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = ", ".join(sorted(script_dir.get_heads()))
    lines = [
        "## 5. Creation and migration scripts",
        "",
        f"Alembic is the only way the schema is made, on SQLite and PostgreSQL (head: `{heads}`). "
        "`healthai db upgrade` applies the migrations; `make sql` writes their SQL as plain "
        "scripts for a DBA (kept current by a test):",
        "",
    ]
    for name, path in sql_script_paths().items():
        rel = path.relative_to(PROJECT_ROOT)
        lines.append(f"- `{name}`: [{rel.as_posix()}](../{rel.as_posix()})")
    lines += ["", "Migrations, oldest first:", ""]
    for rev in reversed(list(script_dir.walk_revisions())):
        path = Path(rev.path).resolve().relative_to(PROJECT_ROOT)
        title = (rev.doc or "").strip().splitlines()[0] if rev.doc else ""
        lines.append(f"- `{rev.revision}` [{path.as_posix()}](../{path.as_posix()}): {title}")
    lines.append("")
    return lines


def render_data_model() -> str:
    groups = grouped_tables()
    n_tables = sum(len(t) for t in groups.values())
    n_columns = sum(len(t.columns) for ts in groups.values() for t in ts)
    lines = [
        "# Data model",
        "",
        "<!-- Generated from the SQLAlchemy metadata by `healthai docs` (make docs-gen); "
        "do not edit by hand: tests/test_docs.py fails when this file is stale. -->",
        "",
        f"{n_tables} tables, {n_columns} columns, declared in `healthai/models/` "
        f"and created only by the Alembic migrations (`{SQL_DIR.relative_to(PROJECT_ROOT)}/` "
        "holds their SQL). Naming convention: `pk_<table>`, `fk_<table>_<column>_<referred>`, "
        "`uq_<table>_<columns>`, `ck_<table>_<rule>`, `ix_<table>_<columns>`.",
        "",
        "| group | tables |",
        "|---|---|",
    ]
    for group, tables in groups.items():
        lines.append(f"| {group} | {', '.join(f'`{t.name}`' for t in tables)} |")
    lines.append("")
    lines += _mcd(groups.get(GROUPS["healthai.models.domain"], []))
    lines += _mld(groups)
    lines += _mpd(groups)
    lines += _dictionary(groups)
    lines += _scripts()
    return "\n".join(lines).rstrip("\n") + "\n"


GENERATED: dict[Path, object] = {DATA_MODEL_PATH: render_data_model}


def write_docs() -> list[Path]:
    """Write every generated document; returns their paths."""
    written = []
    for path, render in GENERATED.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render())  # type: ignore[operator]
        written.append(path)
    return written


# ============================================================================ shared helpers

HAND_WRITTEN = "<!-- hand-written below this line: `healthai docs` keeps it as it is -->"
BEGIN = "<!-- BEGIN GENERATED: {name} (by `healthai docs`; do not edit between the markers) -->"
END = "<!-- END GENERATED: {name} -->"


def _hand_written_tail(path: Path, default: str) -> str:
    """What follows HAND_WRITTEN in the file as it is now (default when absent)."""
    if path.is_file():
        text = path.read_text()
        if HAND_WRITTEN in text:
            return text.split(HAND_WRITTEN, 1)[1].lstrip("\n")
    return default


def _replace_block(path: Path, name: str, body: str) -> str:
    """The file with the block between its BEGIN/END markers named `name` replaced by body."""
    begin, end = BEGIN.format(name=name), END.format(name=name)
    text = path.read_text()
    if begin not in text or end not in text:
        raise ValueError(f"{path.name}: markers of the generated block {name!r} are missing")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n\n{body.strip()}\n\n{end}{tail}"


# ============================================================================ source inventory

SOURCES_PATH = DOCS_DIR / "sources.md"


def _prose(text: str) -> str:
    """A table cell of declared text: `<NAME>` outside code spans would be read as an HTML
    tag and vanish, so its `<` is escaped."""
    parts = re.split(r"(`[^`]*`)", _cell(text))
    return "".join(
        part if part.startswith("`") else re.sub(r"<(?=[A-Za-z/!])", "&lt;", part) for part in parts
    )


def _check_text(check: object) -> str:
    name = getattr(check, "name", None) or "check"
    error = getattr(check, "error", None)
    if error and error.startswith(f"{name}("):
        return f"`{error}`"  # a built-in check and its parameters
    if error and error != name:
        return f"`{name}`: {error}"
    return f"`{name}`"


_VOLUMES: dict[str, str] = {}


def _volume(spec: SourceSpec) -> str:
    if spec.name not in _VOLUMES:
        _VOLUMES[spec.name] = _measure_volume(spec)
    return _VOLUMES[spec.name]


def _measure_volume(spec: SourceSpec) -> str:
    from healthai.pipeline.readers import read_source
    from healthai.settings import get_settings

    if spec.fetch is not None or spec.format == "api":
        return "fetched at run time (API; never shipped)"
    raw_dir = get_settings().raw_dir
    files = sorted(raw_dir.glob(spec.location))
    if not files:
        if spec.name.startswith("sim_"):
            return "generated (`healthai simulate` writes its files to the landing zone)"
        return "no file shipped under `raw/`"
    parts = []
    for path in files:
        result = read_source(path, spec)
        text = f"`raw/{path.relative_to(raw_dir).as_posix()}`: {len(result.frame):,} rows"
        if result.malformed:
            text += f" + {len(result.malformed):,} malformed lines (quarantined)"
        parts.append(text)
    return "; ".join(parts)


def _source_section(spec: SourceSpec) -> list[str]:
    from healthai.pipeline.readers import RECORD

    s = spec  # a SourceSpec
    lines = [f'<a id="{s.name}"></a>', "", f"## `{s.name}`: {_prose(s.title)}", ""]
    if s.description:
        lines += [_prose(s.description), ""]
    rows = [
        ("origin", s.origin or "—"),
        ("licence", s.licence),
        ("citation", s.citation or "—"),
        (
            "format",
            f"`{s.format}`"
            + (
                f" (options: {', '.join(f'{k}={v!r}' for k, v in sorted(s.read_options.items()))})"
                if s.read_options
                else ""
            )
            + (
                f"; also read: {', '.join(f'`{f}`' for f in s.formats[1:])} (the format is "
                "read from the file's content; any other is refused)"
                if len(s.formats) > 1
                else ""
            ),
        ),
        ("location", f"`{s.location}` under `raw/` or `var/landing/{s.name}/`"),
        ("update frequency", f"{s.update_frequency} (cron `{s.cron}`)"),
        ("owner", s.owner),
        ("volume", _volume(s)),
        (
            "publishes to",
            f"`{s.primary_table}` (natural key `{s.primary_key}`)"
            if s.primary_table
            else "fact tables (duplicates caught by the contract)",
        ),
        ("approval", "automatic (trusted source)" if s.auto_approve else "human"),
    ]
    if s.after:
        rows.append(("staged after", ", ".join(f"`{a}`" for a in s.after)))
    lines += ["| | |", "|---|---|"]
    lines += [f"| {k} | {_prose(str(v))} |" for k, v in rows]
    lines += ["", "**Quality rules** (pandera contract; a failing row is quarantined)", ""]
    contract = s.contract
    lines += ["| column | type | null | rules |", "|---|---|---|---|"]
    for name, column in contract.columns.items():
        if name == RECORD:
            continue
        rules = [_check_text(c) for c in column.checks]
        if column.unique:
            rules.append("unique")
        if not getattr(column, "required", True):
            rules.append("optional column")
        if column.coerce:
            rules.append("coerced")
        null = "yes" if column.nullable else "no"
        lines.append(
            f"| `{_prose(name)}` | {column.dtype} | {null} | {_prose('; '.join(rules)) or '—'} |"
        )
    lines.append("")
    if contract.checks:
        lines += ["Cross-field rules (per row):", ""]
        lines += [f"- {_prose(_check_text(c))}" for c in contract.checks]
        lines.append("")
    if s.soft_rules:
        lines += ["Soft rules (flagged for review, not quarantined):", ""]
        lines += [f"- `{k}`: {_prose(v[0])}" for k, v in s.soft_rules.items()]
        lines.append("")
    lines += ["**Defects found**", ""]
    lines += [f"- {_prose(d)}" for d in s.defects] or ["- none recorded"]
    lines.append("")
    return lines


def render_sources() -> str:
    from healthai.sources import SOURCES

    specs = sorted(SOURCES.values(), key=lambda s: s.name)
    lines = [
        "# Source inventory",
        "",
        "<!-- Generated from the source declarations (healthai/sources/) by `healthai docs` "
        "(make docs-gen) down to the hand-written marker; tests/test_docs.py fails when it is "
        "stale. -->",
        "",
        f"{len(specs)} sources are declared in `healthai/sources/` (registry `SOURCES`); "
        "each declaration builds its assets, checks and schedule. Volumes are counted by the "
        "project's own reader (`healthai.pipeline.readers`) on the shipped files. Provenance "
        "and checksums of the shipped files: [raw/README.md](../raw/README.md). The "
        "justification of these datasets follows the inventory: "
        "[Why these datasets](#why-these-datasets).",
        "",
        "| source | title | format | frequency | owner | volume |",
        "|---|---|---|---|---|---|",
    ]
    sections: list[str] = []
    for spec in specs:
        volume = _volume(spec)
        lines.append(
            f"| [`{spec.name}`](#{spec.name}) | {_cell(spec.title)} | "
            f"{spec.format} | {spec.update_frequency} | {spec.owner} | {_cell(volume)} |"
        )
        sections += _source_section(spec)
    lines.append("")
    lines += sections
    tail = _hand_written_tail(SOURCES_PATH, "## Why these datasets\n\nTo write.\n")
    return "\n".join(lines).rstrip("\n") + "\n\n" + HAND_WRITTEN + "\n\n" + tail


# ============================================================================ data flow

DATA_FLOW_PATH = DOCS_DIR / "data-flow.md"


def _node_id(key: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]", "_", key)


def render_data_flow() -> str:
    from assets.definitions import defs

    graph = defs.resolve_asset_graph()
    nodes = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    groups: dict[str, list[str]] = {}
    for key in sorted(nodes):
        groups.setdefault(nodes[key].group_name or "default", []).append(key)
    n_checks = sum(len(list(n.check_keys)) for n in nodes.values())
    lines = [
        "# Data flow (generated from the Dagster asset graph)",
        "",
        "<!-- Generated from `assets.definitions.defs.resolve_asset_graph()` by `healthai docs` "
        "(make docs-gen); do not edit by hand: tests/test_docs.py fails when it is stale. -->",
        "",
        f"{len(nodes)} assets in {len(groups)} groups, {n_checks} asset checks. Each box is a "
        "group (one per source, plus the publication); an arrow is a dependency; a node lists "
        "its asset checks after its name. The hand-drawn overview, from raw files to the API, "
        "exports and dashboards, is in [architecture.md](architecture.md#data-flow).",
        "",
        "```mermaid",
        "flowchart LR",
    ]
    for group, keys in groups.items():
        lines.append(f'    subgraph {_node_id("g_" + group)}["{group}"]')
        for key in keys:
            checks = sorted(c.name for c in nodes[key].check_keys)
            label = key + (f"<br/>✓ {', '.join(checks)}" if checks else "")
            lines.append(f'        {_node_id(key)}["{label}"]')
        lines.append("    end")
    for key in sorted(nodes):
        for parent in sorted(p.to_user_string() for p in nodes[key].parent_keys):
            lines.append(f"    {_node_id(parent)} --> {_node_id(key)}")
    lines += ["```", "", "## Asset checks", "", "| group | asset | checks |", "|---|---|---|"]
    for group, keys in groups.items():
        for key in keys:
            checks = sorted(c.name for c in nodes[key].check_keys)
            if checks:
                lines.append(f"| {group} | `{key}` | {', '.join(f'`{c}`' for c in checks)} |")
    lines.append("")
    return "\n".join(lines)


GENERATED[SOURCES_PATH] = render_sources
GENERATED[DATA_FLOW_PATH] = render_data_flow


# ============================================================================ privacy note

PRIVACY_PATH = DOCS_DIR / "privacy.md"
PERSONAL_EXTRA = ("personal_data_access", "api_accounts")


def _personal_tables() -> list[Table]:
    """`users` and every table that references it, then the staging tables keyed by user."""
    users = metadata.tables["users"]
    direct = [users] + [
        t
        for t in sorted(metadata.tables.values(), key=lambda t: t.name)
        if t is not users and any(fk.referred_table is users for fk in t.foreign_key_constraints)
    ]
    staging = [
        t
        for t in sorted(metadata.tables.values(), key=lambda t: t.name)
        if t.name.startswith("staging_") and ("user_key" in t.columns or t.name == "staging_users")
    ]
    return direct + staging


def render_privacy_block() -> str:
    from healthai.access import ROLE_SCOPES, SCOPES

    users = metadata.tables["users"]
    lines = [
        "### Tables holding data about a person",
        "",
        "Derived from the SQLAlchemy metadata: `users`, every table with a foreign key to "
        "`users`, and the staging tables of people (rows of batches not yet published). "
        "Erasure: `DELETE /users/{id}`, `healthai.erasure.erase_user`.",
        "",
        "| table | columns | link to the person | on erasure |",
        "|---|---|---|---|",
    ]
    for table in _personal_tables():
        columns = ", ".join(f"`{c.name}`" for c in table.columns if c.name not in ("id",))
        fks = [fk for fk in table.foreign_key_constraints if fk.referred_table is users]
        if table is users:
            link, erase = "the person (pseudonymous `external_key`)", "row deleted"
        elif fks:
            fk = fks[0]
            link = f"`{fk.columns[0].name}` → `users.id`"
            erase = (
                "deleted by cascade"
                if (fk.ondelete or "").upper() == "CASCADE"
                else (f"ON DELETE {fk.ondelete or 'NO ACTION'}")
            )
        elif table.name == "staging_users":
            link, erase = "`external_key` (natural key)", "deleted by the erasure"
        else:
            link, erase = "`user_key` (natural key)", "deleted by the erasure"
        lines.append(f"| `{table.name}` | {_cell(columns)} | {link} | {erase} |")
    lines += [
        "",
        "### Roles and what they may read",
        "",
        "From `healthai/access/roles.py` (`ROLE_SCOPES`); every endpoint declares the scopes it "
        "needs and everything else is refused (default deny).",
        "",
        "| scope | meaning | " + " | ".join(ROLE_SCOPES) + " |",
        "|---|---|" + "---|" * len(ROLE_SCOPES),
    ]
    for scope, meaning in SCOPES.items():
        marks = " | ".join("yes" if scope in s else "—" for s in ROLE_SCOPES.values())
        lines.append(f"| `{scope}` | {_cell(meaning)} | {marks} |")
    return "\n".join(lines)


def render_privacy() -> str:
    return _replace_block(PRIVACY_PATH, "personal-data", render_privacy_block())


GENERATED[PRIVACY_PATH] = render_privacy


# ============================================================================ docs/features.md

FEATURES_PATH = DOCS_DIR / "features.md"


def render_features() -> str:
    """The dictionary of the feature table (healthai.lab.features.FEATURES)."""
    from healthai.lab import features

    lines = [
        "# Features dictionary",
        "",
        "<!-- generated from healthai/lab/features.py by `healthai docs`; do not edit -->",
        "",
        "The feature table for the AI modules (`lab/features` in Dagster, "
        "`lab.connect().features()` in a notebook): one row per person (`user_id`, a pseudonym "
        "unless the reader may see identities) and day (`day`, a UTC date). A row describes "
        "the person as the platform knew them when the day began: only data published "
        "before 00:00 UTC of that day counts (point in time), from the days before it "
        "(windows end the day before). How it is built and why: "
        "[data-scientists.md](data-scientists.md#the-feature-table).",
        "",
        "| feature | from | window | unit | meaning |",
        "|---|---|---|---|---|",
    ]
    for f in features.FEATURES:
        window = f"{f.window_days} d" if f.window_days else "—"
        lines.append(
            f"| `{f.name}` | `{f.table}` | {window} | {f.unit or '—'} | {_cell(f.description)} |"
        )
    return "\n".join(lines) + "\n"


GENERATED[FEATURES_PATH] = render_features


# ============================================================================ life cycle

PIPELINE_PATH = DOCS_DIR / "pipeline.md"


def render_lifecycle_block() -> str:
    """The life cycle's diagrams, drawn from its transition table
    (healthai.pipeline.lifecycle_states)."""
    from healthai.pipeline.lifecycle_states import MACHINES, mermaid

    titles = {
        "raw_files": "A landed file (`raw_files.state`)",
        "batches": "A batch (`batches.status`)",
    }
    parts = []
    for machine, moves in MACHINES.items():
        parts += [
            f"**{titles[machine]}**, {len(moves)} moves:",
            "",
            "```mermaid",
            mermaid(machine).rstrip(),
            "```",
            "",
        ]
    return "\n".join(parts)


def render_pipeline() -> str:
    return _replace_block(PIPELINE_PATH, "life-cycle", render_lifecycle_block())


GENERATED[PIPELINE_PATH] = render_pipeline
