"""Every rule the pipeline can cite, by a stable id, with its English wording for a data steward.

A quarantined row's reasons and a refused file's error carry the rule's id (for machines: the
web interface keys its French catalogue on it, the quality page counts by it) and the message
rendered from the wording below (for people). Placeholders name the reason's `params` and
`column` / `value`; a missing one is left as written, never an error.

Generic rules are declared here. A source's own rules (a rule across columns, a custom check)
are registered when the source is declared (`contract.cross_field`, `contract.custom`): one id,
one wording, whichever sources use it (`register` refuses two wordings for one id).
`all_rules()` imports every source first, so it lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Scope = Literal["value", "row", "file"]


@dataclass(frozen=True)
class Rule:
    id: str
    scope: Scope  # what the rule is about: one value, one row (record), or the whole file
    wording: str  # English, for a data steward; placeholders in braces


_RULES: dict[str, Rule] = {}


def register(rule_id: str, wording: str, scope: Scope = "row") -> Rule:
    """Declare a rule; declaring the same id again with the same wording is a no-op."""
    known = _RULES.get(rule_id)
    if known is not None:
        if known.wording != wording:
            raise ValueError(
                f"rule {rule_id!r} already worded {known.wording!r}, not {wording!r}: "
                "one id, one wording (the French catalogue is keyed on the id)"
            )
        return known
    rule = Rule(rule_id, scope, wording)
    _RULES[rule_id] = rule
    return rule


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value)
    return str(value)


def message(rule_id: str, **params: Any) -> str:
    """The rule's wording with its placeholders filled (unknown rule: its id)."""
    rule = _RULES.get(rule_id)
    if rule is None:
        return rule_id
    return rule.wording.format_map(_Keep({k: _show(v) for k, v in params.items()}))


def reason(rule_id: str, column: str | None, value: Any, **params: Any) -> dict[str, Any]:
    """One quarantine reason: {rule, column, value, params, message}."""
    out: dict[str, Any] = {"rule": rule_id, "column": column, "value": value}
    if params:
        out["params"] = params
    out["message"] = message(rule_id, column=column, value=value, **params)
    return out


def all_rules() -> dict[str, Rule]:
    """Every rule id: the generic ones and those of every declared source."""
    from healthai.pipeline.contract import register_contract_rules
    from healthai.sources import SOURCES  # declaring the sources registers their rules

    for spec in SOURCES.values():
        register_contract_rules(spec.contract)
    return dict(sorted(_RULES.items()))


def all_rule_ids() -> list[str]:
    """Every rule id, sorted (what a catalogue keyed on the ids must cover)."""
    return list(all_rules())


# ------------------------------------------------------------------ one value
register("missing_value", "{column} is empty; a value is required.", "value")
register("not_a_number", "{column}: '{value}' is not a number.", "value")
register("not_a_whole_number", "{column}: '{value}' is not a whole number.", "value")
register(
    "not_a_date", "{column}: '{value}' is not a date (expected a date such as {example}).", "value"
)
register(
    "ambiguous_date",
    "{column}: '{value}' can be read day-first or month-first and nothing in the file tells "
    "which; write it as YYYY-MM-DD.",
    "value",
)
register("not_text", "{column}: expected text, found {value}.", "value")
register("out_of_range", "{column}: {value} is outside the allowed range {min} to {max}.", "value")
register("below_minimum", "{column}: {value} is below the minimum, {min}.", "value")
register("not_above_minimum", "{column}: {value} must be greater than {min}.", "value")
register("above_maximum", "{column}: {value} is above the maximum, {max}.", "value")
register("not_below_maximum", "{column}: {value} must be less than {max}.", "value")
register("not_allowed", "{column}: '{value}' is not one of the allowed values: {allowed}.", "value")
register("pattern_mismatch", "{column}: '{value}' does not have the expected form.", "value")
register(
    "text_length", "{column}: the text must have {min} to {max} characters ('{value}').", "value"
)
register("duplicate_value", "{column}: '{value}' appears earlier in the file.", "value")
register("not_a_list", "{column}: expected a list of names, found {value}.", "value")
register("not_a_boolean", "{column}: '{value}' is not yes/no (true/false).", "value")

# ------------------------------------------------------------------ one row (record)
register(
    "malformed_line",
    "the line has {found} fields where the header has {expected}; the values cannot be matched "
    "to the columns.",
)
register("not_an_object", "the record is not an object with named fields: {value}.")
register("batch_rejected", "a reviewer rejected the batch: {value}")
register(
    "conflicts_with_existing",
    "a row with the same {key} is already published or waiting for approval with other "
    "values ({table}).",
)

# ------------------------------------------------------------------ the whole file
register("file_empty", "{file}: the file is empty.", "file")
register("no_header", "{file}: no header line (column names) was found.", "file")
register(
    "json_truncated",
    "{file}: the JSON stops before its end (cut at line {line}, column {col}, byte {pos}); "
    "the file was probably not copied whole.",
    "file",
)
register(
    "json_invalid",
    "{file}: not valid JSON at line {line}, column {col} (byte {pos}): {detail}.",
    "file",
)
register(
    "json_not_records",
    "{file}: expected a JSON array of records (or an object with a 'data' or 'items' array).",
    "file",
)
register("json_no_record", "{file}: the JSON array holds no record.", "file")
register(
    "format_not_accepted",
    "{file}: this is {actual}, but source {source} accepts {accepted} only.",
    "file",
)
register("spreadsheet_unreadable", "{file}: not a readable spreadsheet ({detail}).", "file")
register("sheet_missing", "{file}: no sheet named '{sheet}' (sheets: {sheets}).", "file")
register("sheet_empty", "{file}: sheet '{sheet}' holds no row.", "file")
register("missing_columns", "{file}: required column(s) missing: {columns}.", "file")
register(
    "unit_suspect",
    "{file}: {column} does not look like {unit}: {outside} of its {count} values lie outside "
    "{low}-{high} {unit}, where most values lie ({hint}); convert the column and drop the "
    "file again.",
    "file",
)
register(
    "contract_structure", "{file}: the file's structure breaks the contract: {detail}.", "file"
)
