"""CIQUAL 2020, the French food composition table (ANSES): 3,186 foods, 67 nutrients per
100 g of edible part, one `.xls` workbook (sheet `compo`).

Cell conventions of the table, turned into numbers before the contract sees them:
- decimal commas (`45,4`) -> 45.4;
- `-` (not measured) and empty cells -> null;
- `traces` and `< x` (below the limit of quantification x) -> 0. The true value lies between
  0 and x, usually tiny; 0 is what a nutrition label declares below such thresholds, and the
  raw cell stays in the immutable file for anyone who needs the bound.
Any other text in a nutrient cell fails the column's type and quarantines the row.

Published to `foods` (code `ciqual:<alim_code>`) with the nutrients the table and `foods`
share. `alim_code` 9621 (Son de blé) appears twice, under two sub-groups: the second counts
as a duplicate. Cite: "Anses. 2020. Ciqual French food composition table."
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from healthai.models.vocab import BOUNDS
from healthai.pipeline.contract import measure
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.common import strip_text

NUTRIENTS = {  # CIQUAL column (per 100 g) -> foods column, with the foods table's range
    "Energie, Règlement UE N° 1169/2011 (kcal/100 g)": (
        "energy_kcal",
        BOUNDS["energy_kcal_per_100g"],
    ),
    "Protéines, N x facteur de Jones (g/100 g)": ("protein_g", BOUNDS["grams_per_100g"]),
    "Glucides (g/100 g)": ("carbohydrate_g", BOUNDS["grams_per_100g"]),
    "Lipides (g/100 g)": ("fat_g", BOUNDS["grams_per_100g"]),
    "Fibres alimentaires (g/100 g)": ("fibre_g", BOUNDS["grams_per_100g"]),
    "Sucres (g/100 g)": ("sugars_g", BOUNDS["grams_per_100g"]),
    "Sel chlorure de sodium (g/100 g)": ("salt_g", BOUNDS["grams_per_100g"]),
    "Sodium (mg/100 g)": ("sodium_mg", BOUNDS["sodium_mg_per_100g"]),
    "Cholestérol (mg/100 g)": ("cholesterol_mg", BOUNDS["cholesterol_mg_per_100g"]),
}
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_BELOW = re.compile(r"^<\s*\d+(?:[.,]\d+)?$")


def parse_cell(value: object) -> object:
    """A CIQUAL nutrient cell as a number string, None, or unchanged (to fail the contract)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text in ("", "-"):
        return None
    if text.lower() == "traces" or _BELOW.match(text):
        return "0"
    if _NUMBER.match(text):
        return text.replace(",", ".")
    return value


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = strip_text(frame)
    for column in NUTRIENTS:
        if column in frame.columns:
            frame[column] = frame[column].map(parse_cell)
    for column in ("alim_grp_nom_fr", "alim_ssgrp_nom_fr"):
        if column in frame.columns:
            frame[column] = frame[column].where(frame[column] != "-", None)
    return frame


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "alim_code": pa.Column(str, pa.Check.str_matches(r"^\d{1,10}$"), nullable=False),
        "alim_nom_fr": pa.Column(str, pa.Check.str_length(1, 300), nullable=False),
        "alim_grp_nom_fr": pa.Column(str, nullable=True),
        "alim_ssgrp_nom_fr": pa.Column(str, nullable=True),
        **{column: measure(bound, nullable=True) for column, (_, bound) in NUTRIENTS.items()},
    },
    strict=False,
    name="ciqual",
)

ENERGY = "Energie, Règlement UE N° 1169/2011 (kcal/100 g)"
MACROS = ["Protéines, N x facteur de Jones (g/100 g)", "Glucides (g/100 g)", "Lipides (g/100 g)"]


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    group, subgroup = valid["alim_grp_nom_fr"], valid["alim_ssgrp_nom_fr"]
    category = group.where(subgroup.isna(), group + " / " + subgroup)
    foods = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "code": ctx.source + ":" + valid["alim_code"],
            "source": ctx.source,
            "source_code": valid["alim_code"],
            "name": valid["alim_nom_fr"],
            "category": category,
            **{target: valid[column] for column, (target, _) in NUTRIENTS.items()},
        }
    )
    return {"foods": foods}


SPEC = SourceSpec(
    name="ciqual",
    title="CIQUAL 2020 French food composition table (ANSES)",
    format="xls",
    location="ciqual/*.xls",
    contract=CONTRACT,
    normalise=normalise,
    transform=transform,
    primary_table="foods",
    primary_key="code",
    read_options={"sheet": "compo"},
    soft_rules={
        "no_energy_value": (
            "No EU-regulation energy value (`-` or empty): published without energy.",
            lambda df: df[ENERGY].isna(),
        ),
        "no_food_group": (
            "No food group (group code 00, 'aliment moyen' aggregates).",
            lambda df: df["alim_grp_nom_fr"].isna(),
        ),
        "macros_above_100g": (
            "Protein + carbohydrate + fat above 100 g per 100 g (rounding or analysis spread).",
            lambda df: df[MACROS].fillna(0).sum(axis=1) > 101,
        ),
    },
    update_frequency="yearly",
    cron="0 4 15 1 *",
    owner="nutrition-team@healthai-coach.fr",
    licence="ANSES terms: free reproduction with explicit citation of the source.",
    citation="Anses. 2020. Ciqual French food composition table.",
    origin="ANSES ciqual.anses.fr, Table Ciqual 2020_FR_2020 07 07.xls (copy from "
    "Pifton/food-recommender, commit ac8f2673, blob 19527fd3; spaces in the name replaced).",
    description="3,186 foods eaten in France with 67 nutrients per 100 g of edible part; "
    "energy, macronutrients, fibre, sugars, salt, sodium and cholesterol are published.",
    defects=(
        "Numbers are text with decimal commas; `-` means not measured (null).",
        "`< x` below the limit of quantification and `traces`: published as 0.",
        "alim_code 9621 (Son de blé) appears twice under two sub-groups: duplicate.",
        "45 rows without food group (aggregates, group 00), 888 without EU energy value (flagged).",
        "French column names with accents, N° and µ: mapped to the foods columns.",
    ),
)
