"""The wording catalogue has no gap: every code the platform can show (validation rules of
every declared source, audit checks and soft rules, vocabularies, statuses, sources, table and
column names, export tables) has a French and an English wording, and both languages use the
same placeholders. A rule, check or value added without its wording fails here."""

from __future__ import annotations

import string

import pytest

from dashboard.i18n import STRINGS
from dashboard.wording import check_name, enum, fix_hint, reason_text, source_name, status
from healthai.models import vocab
from healthai.pipeline.batches import PUBLISHED, STAGING
from healthai.pipeline.rules import all_rules
from healthai.queries.analytics import NUTRIENTS
from healthai.sources import SOURCES
from healthai.sources.gym_members import WORKOUT_TYPES

LANGS = ("fr", "en")
AUDIT_CHECKS = ("rows_add_up", "references_resolve", "publishable")


def test_every_rule_id_has_a_french_sentence_and_labels() -> None:
    """Every id of healthai.pipeline.rules (generic ones and every declared source's own) has
    its French sentence with the same placeholders as its English wording, and a short label
    in both languages."""
    fields = string.Formatter()

    def names(text: str) -> set[str]:
        return {f for _, f, _, _ in fields.parse(text) if f}

    rules = all_rules()
    assert len(rules) > 40
    missing = sorted(r for r in rules if f"rule.{r}" not in STRINGS["fr"])
    assert missing == [], f"rules without a French sentence: {missing}"
    differ = [
        r for r, rule in rules.items() if names(STRINGS["fr"][f"rule.{r}"]) != names(rule.wording)
    ]
    assert differ == [], f"French sentence and English wording use other placeholders: {differ}"
    for lang in LANGS:
        assert sorted(r for r in rules if f"rulelabel.{r}" not in STRINGS[lang]) == []


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

    shared = [k for k in STRINGS["fr"] if k in STRINGS["en"]]
    differ = [k for k in shared if names(STRINGS["fr"][k]) != names(STRINGS["en"][k])]
    assert differ == []
    # the only keys of one language: the French sentences of rules (English: the registry's)
    assert {k for k in STRINGS["fr"] if k not in STRINGS["en"]} == {
        f"rule.{r}" for r in all_rules()
    }
    assert set(STRINGS["en"]) <= set(STRINGS["fr"])


def test_a_reason_reads_as_a_sentence_with_its_data_marked() -> None:
    reason = {
        "rule": "not_allowed",
        "column": "Gender",
        "value": "M",
        "params": {"allowed": ["Male", "Female"]},
    }
    assert reason_text(reason) == (
        "Gender : « M » ne fait pas partie des valeurs autorisées : Male, Female."
    )
    assert (
        reason_text(reason, "en") == "Gender: 'M' is not one of the allowed values: Male, Female."
    )
    html = reason_text(reason, "fr", "en")
    assert '<span lang="en">Male</span>, <span lang="en">Female</span>' in html
    assert html.startswith('<span lang="en">Gender</span> :')
    assert fix_hint(reason) == "choisissez l'une de ces valeurs : Male, Female"
    cross = {
        "rule": "avg_bpm_not_above_max_bpm",
        "column": "Avg_BPM, Max_BPM",
        "value": {"Avg_BPM": 167, "Max_BPM": 166},
    }
    assert reason_text(cross) == "La fréquence cardiaque moyenne dépasse la maximale."
    bounds = {
        "rule": "out_of_range",
        "column": "Age",
        "value": "130",
        "params": {"min": 10, "max": 100.0},
    }
    assert reason_text(bounds) == "Age : 130 est hors de l'intervalle autorisé, de 10 à 100."
    assert fix_hint(bounds) == "saisissez une valeur entre 10 et 100"
