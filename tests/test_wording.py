"""The wording catalogue has no gap: every code the platform can show (validation rules of
every declared source, audit checks and soft rules, vocabularies, statuses, sources, table and
column names, export tables) has a French and an English wording, and both languages use the
same placeholders. A rule, check or value added without its wording fails here."""

from __future__ import annotations

import re
import string

import pytest

from dashboard.i18n import STRINGS, t
from dashboard.wording import check_name, enum, reason_text, rule_text, source_name, status
from healthai.models import vocab
from healthai.pipeline.batches import PUBLISHED, STAGING
from healthai.queries.analytics import NUTRIENTS
from healthai.sources import SOURCES
from healthai.sources.gym_members import WORKOUT_TYPES

LANGS = ("fr", "en")
AUDIT_CHECKS = ("rows_add_up", "references_resolve", "publishable")
# reasons the pipeline writes itself, besides the contracts' rules
PIPELINE_RULES = ("malformed_line", "not_an_object", "batch_rejected", "not_nullable")


def contract_rules() -> set[str]:
    """Every rule name the validation can emit, from every declared source's contract (the
    parametric ones with their parameters, as emitted: `in_range(0, 24)`)."""
    rules: set[str] = set(PIPELINE_RULES)
    for spec in SOURCES.values():
        schema = spec.contract
        for column in schema.columns.values():
            rules.update(str(check.error or check.name) for check in column.checks)
            rules.update(check.name for check in column.checks)
            if column.unique:
                rules.add("field_uniqueness")
            if column.dtype is not None and column.coerce:
                rules.add(f"coerce_dtype('{column.dtype}')")
        rules.update(check.name for check in schema.checks)
    return rules


@pytest.mark.parametrize("lang", LANGS)
def test_every_rule_has_a_wording(lang: str) -> None:
    unknown = t("rule.unknown", lang, rule="\x00").split("\x00")[0]
    missing = sorted(r for r in contract_rules() if rule_text(r, lang).startswith(unknown))
    assert missing == [], f"rules without a {lang} wording: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_check_and_soft_rule_has_a_wording(lang: str) -> None:
    names = [*AUDIT_CHECKS, *(f"soft:{n}" for s in SOURCES.values() for n in s.soft_rules or {})]
    missing = sorted({n for n in names if check_name(n, lang) == n})
    assert missing == []
    for name in AUDIT_CHECKS:
        assert f"check.{name}.what" in STRINGS[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_every_enumeration_status_and_source_has_a_wording(lang: str) -> None:
    enums = {
        "goal": vocab.GOALS,
        "sex": vocab.SEXES,
        "activity": vocab.ACTIVITY_LEVELS,
        "plan": vocab.PLAN_TIERS,
        "org_kind": vocab.ORG_KINDS,
        "meal": vocab.MEAL_TYPES,
        "intensity": vocab.INTENSITIES,
        "level": vocab.EXERCISE_LEVELS,
        "metric": tuple(vocab.METRICS),
        "nutrient": NUTRIENTS,
        "workout": tuple(w.lower() for w in WORKOUT_TYPES),
        "intake": ("deficit", "within", "excess"),
    }
    missing = [f"{k}.{v}" for k, values in enums.items() for v in values if enum(k, v, lang) == v]
    statuses = {
        "batch": vocab.BATCH_STATUSES,
        "run": vocab.RUN_STATUSES,
        "quarantine": vocab.QUARANTINE_STATUSES,
    }
    missing += [
        f"status.{k}.{v}" for k, values in statuses.items() for v in values if status(k, v) == v
    ]
    missing += [f"source.{n}" for n in SOURCES if source_name(n, lang) == n]
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_table_column_and_export_has_a_label(lang: str) -> None:
    from api.routers.exports import EXPORTS

    columns = {c.name for table in [*PUBLISHED, *STAGING.values()] for c in table.columns}
    keys = [f"column.{c}" for c in columns]
    keys += [f"table.{table.name}" for table in PUBLISHED]
    keys += [f"export.{path}" for path, _model, _params in EXPORTS]
    assert sorted(k for k in keys if k not in STRINGS[lang]) == []


def test_both_languages_use_the_same_placeholders() -> None:
    fields = string.Formatter()

    def names(text: str) -> set[str]:
        return {f for _, f, _, _ in fields.parse(text) if f}

    differ = [k for k, v in STRINGS["fr"].items() if names(v) != names(STRINGS["en"][k])]
    assert differ == []


def test_a_reason_reads_as_a_sentence_with_its_data_marked() -> None:
    reason = {"rule": "isin(['Male', 'Female'])", "column": "Gender", "value": "M"}
    assert reason_text(reason) == (
        "Colonne Gender : une de ces valeurs est attendue : « Male », « Female » "
        "(valeur trouvée : M)."
    )
    html = reason_text(reason, "fr", "en")
    assert re.search(r'<span lang="en">Male</span>', html) and '<span lang="en">M</span>' in html
    cross = {
        "rule": "avg_bpm_not_above_max_bpm",
        "column": "Avg_BPM, Max_BPM",
        "value": {"Avg_BPM": 167, "Max_BPM": 166},
    }
    assert reason_text(cross) == (
        "Colonnes Avg_BPM, Max_BPM : la fréquence cardiaque moyenne ne doit pas dépasser la "
        "maximale (valeurs trouvées : Avg_BPM = 167, Max_BPM = 166)."
    )
