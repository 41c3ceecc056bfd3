"""Daily Food & Nutrition, current layout (Kaggle `adilshamim8/daily-food-and-nutrition-dataset`):
a 651-row food catalogue whose values are per stated portion, not per 100 g.

Decision on units. The `foods` table holds nutrients per 100 g (its CHECKs say so), and the
file gives neither a portion weight nor a per-100 g value. So:
- a food whose name states its portion as a mass (`Almonds (1 oz)`, `Salmon (4oz grilled)`,
  outside the beverage categories, where `oz` is a fluid ounce) gets `portion_g`
  (1 oz = 28.3495 g) and its nutrients converted to per 100 g (salt = sodium × 2.5);
- every other food (`Scrambled Eggs (2 large)`, `Milk (2%, 1 cup)`, drinks in fluid ounces) is
  published with its name, which keeps the portion, and category, and **no nutrient values**:
  a per-portion value in a per-100 g column would be wrong by an unknown factor. The
  per-portion values stay in the immutable raw file, and each published row points to its
  source line (`source_sha256` + `source_record`), so they are never lost.
`Meal_Type` and `Water_Intake (ml)` describe a serving occasion, not the food: not published.

The natural key is the name (`daily_food_nutrition:<Food_Item>`): a name seen again (54 exact
duplicate rows, 4 more that differ only in `Meal_Type`) counts as a duplicate. The 6 lines
with an unquoted comma in the name are kept by the reader and quarantined as
`malformed_line`, never repaired by guessing.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from healthai.models.vocab import BOUNDS
from healthai.pipeline.contract import cross_field, measure
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.common import strip_text

OUNCE_G = 28.3495
MEAL_TYPES = ["Breakfast", "Lunch", "Dinner", "Snack", "Side"]
NUTRIENTS = {  # source column -> foods column (values per portion in the source)
    "Calories (kcal)": "energy_kcal",
    "Protein (g)": "protein_g",
    "Carbohydrates (g)": "carbohydrate_g",
    "Fat (g)": "fat_g",
    "Fiber (g)": "fibre_g",
    "Sugars (g)": "sugars_g",
    "Sodium (mg)": "sodium_mg",
    "Cholesterol (mg)": "cholesterol_mg",
}
# Per-100 g bounds of the foods table (its CHECK constraints), applied to converted values.
PER_100G = {
    "energy_kcal": BOUNDS["energy_kcal_per_100g"],
    "protein_g": BOUNDS["grams_per_100g"],
    "carbohydrate_g": BOUNDS["grams_per_100g"],
    "fat_g": BOUNDS["grams_per_100g"],
    "fibre_g": BOUNDS["grams_per_100g"],
    "sugars_g": BOUNDS["grams_per_100g"],
    "sodium_mg": BOUNDS["sodium_mg_per_100g"],
    "cholesterol_mg": BOUNDS["cholesterol_mg_per_100g"],
}
# A stated portion holds what a meal can: the bounds of one logged meal.
PER_PORTION = {
    "Calories (kcal)": BOUNDS["meal_energy_kcal"],
    "Protein (g)": BOUNDS["meal_nutrient_g"],
    "Carbohydrates (g)": BOUNDS["meal_nutrient_g"],
    "Fat (g)": BOUNDS["meal_nutrient_g"],
    "Fiber (g)": BOUNDS["meal_nutrient_g"],
    "Sugars (g)": BOUNDS["meal_nutrient_g"],
    "Sodium (mg)": BOUNDS["meal_sodium_mg"],
    "Cholesterol (mg)": BOUNDS["meal_cholesterol_mg"],
    "Water_Intake (ml)": BOUNDS["meal_water_ml"],
}
_MASS = re.compile(r"(\d+(?:\.\d+)?)\s*oz\b", re.IGNORECASE)


def portion_grams(name: str | None, category: str | None) -> float | None:
    """Grams of the stated portion when the name gives it as a mass, else None."""
    if not isinstance(name, str) or (isinstance(category, str) and "Beverage" in category):
        return None
    match = _MASS.search(name)
    return float(match.group(1)) * OUNCE_G if match else None


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip text; add the derived portion in grams (checked by the contract)."""
    frame = strip_text(frame)
    frame["portion_g"] = [
        portion_grams(n, c) for n, c in zip(frame["Food_Item"], frame["Category"], strict=True)
    ]
    return frame


def _per_100g_ok(df: pd.DataFrame) -> pd.Series:
    ok = pd.Series(True, index=df.index)
    for column, target in NUTRIENTS.items():
        ok &= ~(df[column] * 100 / df["portion_g"] > PER_100G[target].max)
    return ok | df["portion_g"].isna()


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "Food_Item": pa.Column(str, pa.Check.str_length(1, 300), nullable=False),
        "Category": pa.Column(str, pa.Check.str_length(1, 200), nullable=False),
        **{column: measure(bound) for column, bound in PER_PORTION.items()},
        "Meal_Type": pa.Column(str, pa.Check.isin(MEAL_TYPES), nullable=False),
        "portion_g": measure(BOUNDS["portion_g"], nullable=True),
    },
    checks=[
        cross_field(
            "sugars_not_above_carbohydrates",
            ["Sugars (g)", "Carbohydrates (g)"],
            lambda df: df["Sugars (g)"] <= df["Carbohydrates (g)"] + 0.05,
            "sugars above total carbohydrates",
        ),
        cross_field(
            "per_100g_within_food_bounds",
            ["portion_g", *NUTRIENTS],
            _per_100g_ok,
            "a value converted to 100 g exceeds what 100 g of food can hold",
        ),
    ],
    strict=False,
    name="daily_food_nutrition",
)


def atwater_off(df: pd.DataFrame) -> pd.Series:
    """Energy more than 30 % away from 4·protein + 4·carbohydrate + 9·fat (kcal > 20)."""
    computed = 4 * df["Protein (g)"] + 4 * df["Carbohydrates (g)"] + 9 * df["Fat (g)"]
    kcal = df["Calories (kcal)"]
    return (kcal > 20) & ((computed - kcal).abs() > 0.3 * kcal)


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    name = valid["Food_Item"].str.strip()
    factor = 100 / valid["portion_g"].astype(float)  # NaN where no gram portion
    foods = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "code": ctx.source + ":" + name,
            "source": ctx.source,
            "source_code": name,
            "name": name,
            "category": valid["Category"],
            "portion_g": valid["portion_g"].astype(float).round(1),
        }
    )
    for column, target in NUTRIENTS.items():
        foods[target] = (valid[column] * factor).round(2)
    foods["salt_g"] = (valid["Sodium (mg)"] * factor * 2.5 / 1000).round(3)
    return {"foods": foods}


SPEC = SourceSpec(
    name="daily_food_nutrition",
    title="Daily food & nutrition catalogue (values per portion)",
    format="csv",
    accepts=("xlsx",),  # spreadsheet exports of the same table
    location="daily_food_nutrition/*.csv",
    contract=CONTRACT,
    normalise=normalise,
    transform=transform,
    primary_table="foods",
    primary_key="code",
    soft_rules={
        "energy_not_matching_macros": (
            "Energy more than 30 % away from 4P + 4C + 9F (alcoholic drinks: alcohol is not in "
            "the macros).",
            atwater_off,
        ),
        "fibre_above_carbohydrates": (
            "Fibre above total carbohydrates (herb garnishes): possible with some labelling "
            "conventions, worth a look.",
            lambda df: df["Fiber (g)"] > df["Carbohydrates (g)"],
        ),
        "no_gram_portion": (
            "The portion is not stated as a mass: published without nutrient values.",
            lambda df: df["portion_g"].isna(),
        ),
    },
    update_frequency="monthly",
    cron="0 3 2 * *",
    owner="nutrition-team@healthai-coach.fr",
    licence="Not stated in any copy; secondary docs claim CC0 (unverified, check the Kaggle card).",
    citation="Adil Shamim, Daily Food & Nutrition Dataset, Kaggle "
    "(adilshamim8/daily-food-and-nutrition-dataset), catalogue version (2025).",
    origin="Kaggle adilshamim8/daily-food-and-nutrition-dataset (copy from "
    "Kabouri-Anass/HealthAI-Coach data/daily_food_nutrition_dataset.csv, commit 2e7a0f98, "
    "blob 296a45f8).",
    description="651 foods and drinks with energy, macronutrients, sodium and cholesterol per "
    "stated portion; published per 100 g only where the portion is a mass.",
    defects=(
        "6 lines with an unquoted comma in Food_Item (13 fields): quarantined as malformed_line.",
        "54 exact duplicate rows and 4 names repeated with another Meal_Type: duplicates.",
        "Values per portion, no portion weight: per 100 g only for portions in ounces "
        "(solid foods); other foods published without nutrients.",
        "Mixed category hierarchies (Protein/Meat, Meal/Meat...): kept as stated.",
        "Energy off the Atwater estimate by > 30 % in 44 rows (flagged); fibre above "
        "carbohydrates in 2 rows (flagged).",
    ),
)
