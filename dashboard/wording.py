"""Every code the platform stores, said in words: enumeration values (goals, plans,
intensities…), statuses (batches, runs, quarantine, files), audit checks and their observed
values, validation rules and quarantine reasons. One catalogue (dashboard/i18n/<lang>.json,
keys `enum.*`, `status.*`, `check.*`, `rule.*`); tests/test_wording.py checks that every code
the sources, the audit and the vocabularies can produce has a French and an English wording.

Rule ids are the names the validation emits today (`in_range`, `isin`, a source's own named
rules such as `avg_bpm_not_above_max_bpm`); rules with parameters (ranges, lists, patterns)
get a wording template filled with the parameters."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from dashboard.i18n import STRINGS, fmt_num, t

# enumeration kinds -> where their values come from (checked for gaps by the tests)
ENUM_KINDS = (
    "goal",
    "sex",
    "activity",
    "plan",
    "intensity",
    "meal",
    "workout",
    "level",
    "org_kind",
    "metric",
    "nutrient",
    "intake",
    "platform",
)
STATUS_KINDS = ("batch", "run", "quarantine", "file")

PARAM = re.compile(r"^(?P<name>[a-z_]+)\((?P<args>.*)\)$", re.S)


def has(key: str, lang: str = "fr") -> bool:
    return key in STRINGS.get(lang, {})


def enum(kind: str, value: Any, lang: str = "fr") -> str:
    """An enumeration value in words; an unknown value (free data) is shown as it is."""
    if value is None or value == "":
        return t("not_stated", lang)
    key = f"enum.{kind}.{str(value).lower()}"
    return t(key, lang) if has(key, lang) or has(key) else str(value)


def status(kind: str, value: Any, lang: str = "fr") -> str:
    if value is None:
        return "—"
    key = f"status.{kind}.{value}"
    return t(key, lang) if has(key) else str(value)


def source_name(name: str, lang: str = "fr") -> str:
    """A source by its title in words (the code stays visible in tables next to it)."""
    key = f"source.{name}"
    return t(key, lang) if has(key) else name


# ------------------------------------------------------------------ checks
def check_name(name: str, lang: str = "fr") -> str:
    if name.startswith("soft:"):
        key = f"check.soft.{name.removeprefix('soft:')}"
        return t(key, lang) if has(key) else name
    key = f"check.{name}"
    return t(key, lang) if has(key) else name


def check_description(name: str, lang: str = "fr") -> str:
    key = f"check.{name}.what" if not name.startswith("soft:") else "check.soft.what"
    return t(key, lang) if has(key) else ""


def check_observed(name: str, observed: Any, lang: str = "fr") -> str:
    """What a check found, as a sentence (never a raw dictionary)."""
    obs = observed if isinstance(observed, dict) else {}
    if name == "rows_add_up":
        return t(
            "check.rows_add_up.observed",
            lang,
            rows_in=fmt_num(obs.get("rows_in", 0), lang),
            quarantined=fmt_num(obs.get("quarantined", 0), lang),
            duplicates=fmt_num(obs.get("duplicates", 0), lang),
            staged=fmt_num(obs.get("staged", 0), lang),
            published=fmt_num(obs.get("published", 0), lang),
        )
    if name == "references_resolve":
        unresolved = obs.get("unresolved") or {}
        if not unresolved:
            return t("check.references_resolve.ok", lang)
        parts = [
            t("check.references_resolve.one", lang, ref=ref, n=fmt_num(n, lang))
            for ref, n in sorted(unresolved.items())
        ]
        return "; ".join(parts)
    if name == "publishable":
        violations = obs.get("violations") or {}
        if not violations and not obs.get("error"):
            return t("check.publishable.ok", lang)
        if not violations:
            return t("check.publishable.failed", lang)
        return "; ".join(
            t("check.publishable.one", lang, constraint=c, n=fmt_num(n, lang))
            for c, n in sorted(violations.items())
        )
    if name.startswith("soft:"):
        return t("check.soft.observed", lang, n=fmt_num(obs.get("rows_flagged", 0), lang))
    if not obs:
        return "—"
    return "; ".join(f"{k} : {v}" if lang == "fr" else f"{k}: {v}" for k, v in obs.items())


# ------------------------------------------------------------------ rules and reasons
def rule_kind(rule: str) -> tuple[str, str]:
    """(rule id, parameters) of an emitted rule name: `in_range(0, 10)` -> (`in_range`,
    `0, 10`); `coerce_dtype('float64')` -> (`coerce_dtype`, `'float64'`)."""
    m = PARAM.match(rule.strip())
    return (m["name"], m["args"]) if m else (rule.strip(), "")


def _mark(text: str, data: str | None, lang: str) -> str:
    """`text` (data of a source) marked with its language when it differs from the page's;
    only used when building HTML (`data` given), escaped then."""
    if data is None:
        return text
    safe = escape(text)
    return f'<span lang="{data}">{safe}</span>' if data != lang else safe


def _values(args: str, lang: str, data: str | None = None) -> str:
    items = [v.strip().strip("'\"") for v in args.strip("[]").split(",") if v.strip()]
    quoted = [_mark(v, data, lang) for v in items]
    return ", ".join(f"« {v} »" if lang == "fr" else f"“{v}”" for v in quoted)


def _bounds(args: str, lang: str) -> tuple[str, str]:
    parts = [p.strip() for p in args.split(",")]
    lo, hi = (parts + ["", ""])[:2]

    def num(v: str) -> str:
        try:
            f = float(v)
        except ValueError:
            return v
        return fmt_num(int(f) if f == int(f) else f, lang, 0 if f == int(f) else 2)

    return num(lo), num(hi)


def rule_text(rule: str, lang: str = "fr", data: str | None = None) -> str:
    """What a rule demands, in words (for the rule columns of the quality and correction pages).
    With `data` (the language of the source's values), the result is HTML whose listed values
    are marked with that language."""
    name, args = rule_kind(rule)
    if data is not None and name in ("isin", "notin"):
        return t(f"rule.{name}", lang, values=_values(args, lang, data))
    if data is not None:
        return escape(rule_text(rule, lang))
    if name in ("coerce_dtype", "dtype"):
        kind = args.strip("'\"")
        if kind.startswith(("int", "float")):
            return t("rule.number", lang)
        if kind.startswith("datetime"):
            return t("rule.date", lang)
        return t("rule.type", lang)
    if name == "in_range":
        lo, hi = _bounds(args, lang)
        return t("rule.in_range", lang, lo=lo, hi=hi)
    if name in ("greater_than", "greater_than_or_equal_to", "less_than", "less_than_or_equal_to"):
        return t(f"rule.{name}", lang, value=_bounds(args, lang)[0])
    if name in ("isin", "notin"):
        return t(f"rule.{name}", lang, values=_values(args, lang))
    if name == "str_length":
        lo, hi = _bounds(args, lang)
        return t("rule.str_length", lang, lo=lo, hi=hi)
    if name in ("str_matches", "str_contains", "str_startswith", "str_endswith"):
        return t("rule.str_matches", lang)
    key = f"rule.{name}"
    if has(key):
        return t(key, lang)
    return t("rule.unknown", lang, rule=name)


def value_text(value: Any, data: str | None = None, lang: str = "fr") -> str:
    """A value found in a row (several, for a rule across columns) as text, never a dict;
    with `data`, HTML whose values are marked with the source's language."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(
            f"{_mark(str(k), data, lang)} = {value_text(v, data, lang)}" for k, v in value.items()
        )
    return _mark(str(value), data, lang)


def reason_text(reason: dict[str, Any], lang: str = "fr", data: str | None = None) -> str:
    """A quarantine reason as a sentence: the column, what the rule demands, the value found.
    With `data` (the language of the source), the sentence is HTML (Html) in which the
    column names and values of the source are marked with their language (RGAA 8.7)."""
    from dashboard.components.base import Html

    rule = str(reason.get("rule") or "")
    column = reason.get("column")
    value = reason.get("value")
    what = rule_text(rule, lang, data)
    found = value_text(value, data, lang)
    if data is not None:
        column = _mark(str(column), data, lang) if column else column
    if column and not isinstance(value, dict):
        text = t("reason.column", lang, column=column, what=what, value=found)
    elif column:
        text = t("reason.columns", lang, columns=column, what=what, value=found)
    else:
        text = t("reason.row", lang, what=what, value=found)
    return Html(text) if data is not None else text


def fix_hint(reason: dict[str, Any], lang: str = "fr") -> str:
    """What to type to fix a value refused by a rule (RGAA 11.11): plain words, never the
    rule's technical name."""
    name, args = rule_kind(str(reason.get("rule") or ""))
    if name in ("coerce_dtype", "dtype"):
        kind = args.strip("'\"")
        if kind.startswith(("int", "float")):
            return t("why_number", lang)
        if kind.startswith("datetime"):
            return t("why_date", lang)
        return t("why_type", lang)
    if name == "in_range":
        lo, hi = _bounds(args, lang)
        return t("why_range", lang, lo=lo, hi=hi)
    if name in ("isin",):
        return t("why_list", lang, values=_values(args, lang))
    if name in ("not_nullable", "notnull"):
        return t("why_required", lang)
    return rule_text(str(reason.get("rule") or ""), lang)
