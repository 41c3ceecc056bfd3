"""Every code the platform stores, said in words: enumeration values (goals, plans,
intensities…), statuses (batches, runs, quarantine, files), audit checks and their observed
values, validation rules and quarantine reasons. One catalogue (dashboard/i18n/<lang>.json,
keys `enum.*`, `status.*`, `check.*`, `rule.*`); tests/test_wording.py checks that every code
the sources, the audit and the vocabularies can produce has a French and an English wording.

Rules are keyed on the ids of healthai.pipeline.rules: `rule.<id>` is the French sentence
(the same placeholders as the registry's English wording, which the English pages use), and
`rulelabel.<id>` a short label for listings (French and English). Reasons stored before rule
ids existed (pandera names such as `in_range(0, 24)`) are still said in words."""

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
LEGACY = re.compile(r"^(?P<name>[a-z_]+)\((?P<args>.*)\)$", re.S)
# reason fields and params that hold the source's own data (marked with its language)
DATA_FIELDS = ("column", "value", "allowed", "key", "columns")


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _num(v: Any, lang: str) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return fmt_num(v, lang)
    if isinstance(v, float):
        return fmt_num(int(v), lang) if v.is_integer() else fmt_num(v, lang, 2).rstrip("0")
    return str(v)


def _mark(text: str, data: str | None, lang: str) -> str:
    """`text` (data of a source) marked with its language when it differs from the page's;
    only when building HTML (`data` given), escaped then."""
    if data is None:
        return text
    safe = escape(text)
    return f'<span lang="{data}">{safe}</span>' if data != lang else safe


def value_text(value: Any, data: str | None = None, lang: str = "fr") -> str:
    """A value found in a row (several, for a rule across columns) as text, never a dict;
    with `data`, HTML whose values are marked with the source's language."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(
            f"{_mark(str(k), data, lang)} = {value_text(v, data, lang)}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v, data, lang) for v in value)
    return _mark(_num(value, lang), data, lang)


def legacy_kind(rule: str) -> tuple[str, str]:
    """(name, parameters) of a reason stored before rule ids: `in_range(0, 10)`."""
    m = LEGACY.match(rule.strip())
    return (m["name"], m["args"]) if m else (rule.strip(), "")


def _legacy_label(rule: str, lang: str) -> str | None:
    name, args = legacy_kind(rule)
    if name in ("coerce_dtype", "dtype"):
        return t(
            "rulelabel.not_a_number" if "int" in args or "float" in args else "legacy.type", lang
        )
    if name == "in_range":
        return t("rulelabel.out_of_range", lang)
    if name == "isin":
        return t("rulelabel.not_allowed", lang)
    if name in ("not_nullable", "notnull"):
        return t("rulelabel.missing_value", lang)
    return None


def rule_label(rule: str, lang: str = "fr") -> str:
    """A rule, by its id, as a short label (for listings and filters)."""
    key = f"rulelabel.{rule}"
    if has(key):
        return t(key, lang)
    return _legacy_label(rule, lang) or t("legacy.unknown", lang, rule=rule)


def _template(rule: str, lang: str) -> str | None:
    if lang == "en":
        from healthai.pipeline.rules import all_rules

        known = all_rules().get(rule)
        return known.wording if known else None
    key = f"rule.{rule}"
    return t(key, lang) if has(key, lang) else None


def reason_text(reason: dict[str, Any], lang: str = "fr", data: str | None = None) -> str:
    """A quarantine reason as a sentence in the page's language, filled with the reason's
    column, value and parameters. With `data` (the language of the source), the sentence is
    HTML (Html) in which the source's own column names and values are marked (RGAA 8.7)."""
    from dashboard.components.base import Html

    rule = str(reason.get("rule") or "")
    template = _template(rule, lang)
    fields = {"column": reason.get("column"), "value": reason.get("value")}
    fields |= reason.get("params") or {}
    if template is None:  # a reason stored before rule ids
        template = t("legacy.reason", lang)
        fields = {**fields, "what": _legacy_label(rule, lang) or rule}

    def show(name: str, value: Any) -> str:
        if data is not None and name not in DATA_FIELDS:
            return escape(value_text(value, None, lang))
        return value_text(value, data if name in DATA_FIELDS else None, lang)

    text = template if data is None else escape(template)
    filled = text.format_map(_Keep({k: show(k, v) for k, v in fields.items()}))
    if not template.startswith("{"):  # a sentence, not a column name of the source
        filled = filled[:1].upper() + filled[1:]
    return Html(filled) if data is not None else filled


def fix_hint(reason: dict[str, Any], lang: str = "fr") -> str:
    """What to type to fix a refused value (RGAA 11.11): plain words, never a rule's name."""
    rule = str(reason.get("rule") or "")
    params = reason.get("params") or {}
    if rule in ("not_a_number",):
        return t("why_number", lang)
    if rule in ("not_a_whole_number", "whole_number"):
        return t("why_whole", lang)
    if rule in ("not_a_date", "ambiguous_date"):
        return t("why_date", lang)
    if rule in ("out_of_range", "out_of_range_above_min"):
        return t(
            "why_range", lang, lo=_num(params.get("min"), lang), hi=_num(params.get("max"), lang)
        )
    if rule in ("below_minimum", "not_above_minimum"):
        return t("why_min", lang, lo=_num(params.get("min"), lang))
    if rule in ("above_maximum", "not_below_maximum"):
        return t("why_max", lang, hi=_num(params.get("max"), lang))
    if rule == "not_allowed":
        return t("why_list", lang, values=value_text(params.get("allowed"), None, lang))
    if rule == "missing_value":
        return t("why_required", lang)
    name, args = legacy_kind(rule)
    if name in ("coerce_dtype", "dtype"):
        return t("why_number", lang)
    return reason_text(reason, lang).rstrip(".")
