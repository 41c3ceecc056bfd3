"""Daily Food & Nutrition, earlier layout (Kaggle `adilshamim8/daily-food-and-nutrition-dataset`,
copies up to October 2025): a 10,000-row daily intake log, user × date × meal × food.

The nutrient values are uniform random numbers unrelated to the food (water with 600 kcal,
butter with 28 g of protein). They must not reach `meal_logs`, so the contract holds the
physical rules every real entry meets, and a row breaking any of them is quarantined:
- `energy_matches_macros`: energy within 30 % of 4·protein + 4·carbohydrate + 9·fat (none of
  the 35 foods contains alcohol);
- `sugars_not_above_carbohydrates`, `fibre_not_above_carbohydrates`: parts within the whole;
- `non_caloric_drink`: `Water` carries no energy and no macronutrients.
What passes is a realistic log *shape*, still not nutritional truth (see `defects`).

One file brings its users (`daily_food_log:<User_ID>`, one row per user, from the user's
first valid entry) and their meal logs in one batch. The log has no natural key: a fact
source, so no primary table; an exact repeated entry is caught by the contract.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from healthai.models.vocab import BOUNDS
from healthai.pipeline.contract import cross_field, measure, unique_rows
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.common import column_key, strip_text

USER_PREFIX = "daily_food_log"
MEAL_TYPES = ["Breakfast", "Lunch", "Dinner", "Snack"]
CATEGORIES = ["Dairy", "Fruits", "Beverages", "Snacks", "Meat", "Vegetables", "Grains"]
NON_CALORIC = ["Water"]
NUTRIENTS = {
    "Calories (kcal)": "energy_kcal",
    "Protein (g)": "protein_g",
    "Carbohydrates (g)": "carbohydrate_g",
    "Fat (g)": "fat_g",
    "Fiber (g)": "fibre_g",
    "Sugars (g)": "sugars_g",
    "Sodium (mg)": "sodium_mg",
}
ENTRY = ["User_ID", "Date", "Meal_Type", "Food_Item", *NUTRIENTS]


def _atwater_ok(df: pd.DataFrame) -> pd.Series:
    computed = 4 * df["Protein (g)"] + 4 * df["Carbohydrates (g)"] + 9 * df["Fat (g)"]
    kcal = df["Calories (kcal)"]
    return (computed - kcal).abs() <= 0.3 * kcal.clip(lower=20)


def _non_caloric_ok(df: pd.DataFrame) -> pd.Series:
    macros = df[["Calories (kcal)", "Protein (g)", "Carbohydrates (g)", "Fat (g)"]]
    return ~df["Food_Item"].isin(NON_CALORIC) | (macros <= 5).all(axis=1)


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "Date": pa.Column(
            pa.DateTime,
            pa.Check.in_range(pd.Timestamp("2000-01-01"), pd.Timestamp("2030-12-31")),
            coerce=True,
            nullable=False,
        ),
        "User_ID": pa.Column(int, pa.Check.gt(0), coerce=True, nullable=False),
        "Food_Item": pa.Column(str, pa.Check.str_length(1, 300), nullable=False),
        "Category": pa.Column(str, pa.Check.isin(CATEGORIES), nullable=False),
        "Calories (kcal)": measure(BOUNDS["meal_energy_kcal"]),
        **{
            c: measure(BOUNDS["meal_nutrient_g"])
            for c in ("Protein (g)", "Carbohydrates (g)", "Fat (g)", "Fiber (g)", "Sugars (g)")
        },
        "Sodium (mg)": measure(BOUNDS["meal_sodium_mg"]),
        "Cholesterol (mg)": measure(BOUNDS["meal_cholesterol_mg"]),
        "Meal_Type": pa.Column(str, pa.Check.isin(MEAL_TYPES), nullable=False),
        "Water_Intake (ml)": measure(BOUNDS["meal_water_ml"]),
    },
    checks=[
        cross_field(
            "energy_matches_macros",
            ["Calories (kcal)", "Protein (g)", "Carbohydrates (g)", "Fat (g)"],
            _atwater_ok,
            "energy more than 30 % away from 4·protein + 4·carbohydrate + 9·fat",
        ),
        cross_field(
            "sugars_not_above_carbohydrates",
            ["Sugars (g)", "Carbohydrates (g)"],
            lambda df: df["Sugars (g)"] <= df["Carbohydrates (g)"],
            "sugars above total carbohydrates",
        ),
        cross_field(
            "fibre_not_above_carbohydrates",
            ["Fiber (g)", "Carbohydrates (g)"],
            lambda df: df["Fiber (g)"] <= df["Carbohydrates (g)"],
            "fibre above total carbohydrates",
        ),
        cross_field(
            "non_caloric_drink",
            ["Food_Item", "Calories (kcal)", "Protein (g)", "Carbohydrates (g)", "Fat (g)"],
            _non_caloric_ok,
            "water logged with energy or macronutrients",
        ),
        unique_rows(
            ENTRY,
            "entry_not_repeated",
            "the same entry (user, date, meal, food, values) logged twice",
        ),
    ],
    strict=False,
    name="daily_food_nutrition_v1_log",
)


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    user_key = USER_PREFIX + ":" + valid["User_ID"].astype(int).astype(str)
    firsts = valid.assign(user_key=user_key).drop_duplicates("user_key", keep="first")
    users = pd.DataFrame(
        {RECORD: firsts[RECORD], "external_key": firsts["user_key"], "plan_tier": "free"}
    )
    meals = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "user_key": user_key,
            "eaten_on": pd.to_datetime(valid["Date"]).dt.date,
            "meal_type": valid["Meal_Type"].str.lower(),
            "food_label": valid["Food_Item"],
            **{target: valid[column] for column, target in NUTRIENTS.items()},
        }
    )
    return {"users": users, "meal_logs": meals}


SPEC = SourceSpec(
    person_key=column_key("User_ID", USER_PREFIX, integer=True),
    name="daily_food_nutrition_v1_log",
    title="Daily food & nutrition intake log (earlier layout)",
    format="csv",
    accepts=("xlsx",),  # spreadsheet exports of the same table
    location="daily_food_nutrition_v1_log/*.csv",
    contract=CONTRACT,
    normalise=strip_text,
    transform=transform,
    soft_rules={
        "same_user_day_meal": (
            "Several entries for the same user, day and meal (possible: several foods).",
            lambda df: df.duplicated(["User_ID", "Date", "Meal_Type"], keep=False),
        ),
        "food_in_unexpected_category": (
            "Eggs or salmon filed under Meat.",
            lambda df: df["Food_Item"].isin(["Eggs", "Salmon"]) & (df["Category"] == "Meat"),
        ),
    },
    update_frequency="yearly",
    cron="0 3 1 1 *",
    owner="nutrition-team@healthai-coach.fr",
    licence="Not stated in any copy (see the catalogue version); unverified.",
    citation="Adil Shamim, Daily Food & Nutrition Dataset, Kaggle "
    "(adilshamim8/daily-food-and-nutrition-dataset), daily log version (2024).",
    origin="Kaggle adilshamim8/daily-food-and-nutrition-dataset, earlier version (copy from "
    "Masha130/excel daily_food_nutrition_dataset.csv, commit 9f2a01ef, blob 91bc32cc).",
    description="10,000 intake entries of 1,000 users over 2024: date, meal, food, energy, "
    "macronutrients, sodium, cholesterol, water.",
    defects=(
        "Nutrient values are uniform random numbers unrelated to the food: entries breaking "
        "the Atwater, parts-within-whole or non-caloric-drink rules are quarantined.",
        "Sugars above carbohydrates in 2,091 rows, fibre above carbohydrates in 128.",
        "Eggs and Salmon categorised as Meat (flagged).",
        "22 (user, date, meal) triples repeat (flagged: several foods per meal is possible).",
        "CRLF line endings; users have no profile (key only).",
    ),
)
