"""Diet recommendations (Kaggle `ziya07/diet-recommendations-dataset`): 1,000 synthetic patients
with a profile, clinical measures, a disease label and a recommended diet.

`None` is a category here (no disease, no restriction, no allergy), not a null: the reader
keeps every cell as the string it reads, and the contract lists `None` among the allowed
values. A `None` restriction or allergy publishes no row in `user_dietary_restrictions` /
`user_allergies`; an empty cell is a real null and is quarantined.

Published: users (`diet_recommendations:<Patient_ID>`, birth year from age, sex, height,
activity level), their dietary restrictions and allergies, and weight and BMI as one biometric
reading stamped with the day the file was received (the file has no date). Disease,
clinical measures and the recommendation are teaching labels, not published as health data.
The labels contradict the measures in many rows (obesity with BMI < 30, diabetes with normal
glucose...): possible for a diagnosed, treated patient, so these are soft rules, not reasons
to quarantine.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from healthai.models.vocab import BOUNDS
from healthai.pipeline.contract import cross_field, measure
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.common import column_key, strip_text

# Ages are stated as of the dataset's publication (2025), not as birth years.
AGE_REFERENCE_YEAR = 2025
NONE = "None"
DISEASES = ["Hypertension", "Diabetes", "Obesity", NONE]
SEVERITIES = ["Mild", "Moderate", "Severe"]
ACTIVITY = {"Sedentary": "sedentary", "Moderate": "moderate", "Active": "active"}
RESTRICTIONS = {"Low_Sodium": "low_sodium", "Low_Sugar": "low_sugar", NONE: None}
ALLERGIES = {"Gluten": "gluten", "Peanuts": "peanuts", NONE: None}
CUISINES = ["Mexican", "Indian", "Chinese", "Italian"]
DIETS = ["Balanced", "Low_Sodium", "Low_Carb"]


def _num(lo: float, hi: float) -> pa.Column:
    return pa.Column(float, pa.Check.in_range(lo, hi), coerce=True, nullable=False)


def _one_of(values: list[str]) -> pa.Column:
    return pa.Column(str, pa.Check.isin(values), nullable=False)


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "Patient_ID": pa.Column(str, pa.Check.str_matches(r"^P\d{1,10}$"), nullable=False),
        "Age": measure(BOUNDS["age_years"]),
        "Gender": _one_of(["Male", "Female"]),
        "Weight_kg": measure(BOUNDS["weight_kg"]),
        "Height_cm": measure(BOUNDS["height_cm"]),
        "BMI": measure(BOUNDS["bmi"]),
        "Disease_Type": _one_of(DISEASES),
        "Severity": _one_of(SEVERITIES),
        "Physical_Activity_Level": _one_of(list(ACTIVITY)),
        "Daily_Caloric_Intake": measure(BOUNDS["daily_intake_kcal"]),
        "Cholesterol_mg/dL": measure(BOUNDS["blood_cholesterol_mg_dl"]),
        "Blood_Pressure_mmHg": measure(BOUNDS["blood_pressure_mmhg"]),
        "Glucose_mg/dL": measure(BOUNDS["blood_glucose_mg_dl"]),
        "Dietary_Restrictions": _one_of(list(RESTRICTIONS)),
        "Allergies": _one_of(list(ALLERGIES)),
        "Preferred_Cuisine": _one_of(CUISINES),
        "Weekly_Exercise_Hours": measure(BOUNDS["exercise_hours_per_week"]),
        "Adherence_to_Diet_Plan": _num(0, 100),
        "Dietary_Nutrient_Imbalance_Score": _num(0, 5),
        "Diet_Recommendation": _one_of(DIETS),
    },
    checks=[
        cross_field(
            "bmi_matches_weight_and_height_cm",
            ["BMI", "Weight_kg", "Height_cm"],
            lambda df: (df["BMI"] - df["Weight_kg"] / (df["Height_cm"] / 100) ** 2).abs() <= 0.5,
            "BMI differs from weight / height² (height in cm) by more than 0.5",
        ),
    ],
    strict=False,
    name="diet_recommendations",
)


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    key = ctx.source + ":" + valid["Patient_ID"]
    users = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "external_key": key,
            "birth_year": (AGE_REFERENCE_YEAR - valid["Age"]).astype(int),
            "sex": valid["Gender"].str.lower(),
            "height_cm": valid["Height_cm"].round(1),
            "activity_level": valid["Physical_Activity_Level"].map(ACTIVITY),
            "plan_tier": "free",
        }
    )

    def listed(column: str, mapping: dict[str, str | None], name: str) -> pd.DataFrame:
        out = pd.DataFrame(
            {RECORD: valid[RECORD], "user_key": key, name: valid[column].map(mapping)}
        )
        return out[out[name].notna()]

    measured_at = pd.Timestamp(ctx.received_at).normalize()
    readings = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "user_key": key,
            "measured_at": measured_at,
            "weight_kg": valid["Weight_kg"].astype(float),
            "bmi": valid["BMI"].astype(float),
        }
    )
    return {
        "users": users,
        "user_dietary_restrictions": listed("Dietary_Restrictions", RESTRICTIONS, "restriction"),
        "user_allergies": listed("Allergies", ALLERGIES, "allergen"),
        "biometric_readings": readings,
    }


SOFT_RULES = {
    "obesity_label_without_bmi_30": (
        "Labelled Obesity with a BMI under 30.",
        lambda df: (df["Disease_Type"] == "Obesity") & (df["BMI"] < 30),
    ),
    "bmi_30_without_obesity_label": (
        "BMI of 30 or more without the Obesity label.",
        lambda df: (df["Disease_Type"] != "Obesity") & (df["BMI"] >= 30),
    ),
    "diabetes_label_with_normal_glucose": (
        "Labelled Diabetes with a glucose under 126 mg/dL (possible when treated).",
        lambda df: (df["Disease_Type"] == "Diabetes") & (df["Glucose_mg/dL"] < 126),
    ),
    "no_disease_with_diabetic_glucose": (
        "No disease but a glucose of 126 mg/dL or more.",
        lambda df: (df["Disease_Type"] == NONE) & (df["Glucose_mg/dL"] >= 126),
    ),
    "hypertension_label_with_normal_pressure": (
        "Labelled Hypertension with a blood pressure under 130 mmHg (possible when treated).",
        lambda df: (df["Disease_Type"] == "Hypertension") & (df["Blood_Pressure_mmHg"] < 130),
    ),
    "severity_without_disease": (
        "A severity is given although the patient has no disease.",
        lambda df: df["Disease_Type"] == NONE,
    ),
    "sedentary_but_exercising": (
        "Sedentary yet exercising 5 hours or more a week.",
        lambda df: (
            (df["Physical_Activity_Level"] == "Sedentary") & (df["Weekly_Exercise_Hours"] >= 5)
        ),
    ),
    "bmi_below_16": (
        "BMI below 16 (severe thinness): possible but rare.",
        lambda df: df["BMI"] < 16,
    ),
}

SPEC = SourceSpec(
    person_key=column_key("Patient_ID", "diet_recommendations"),
    name="diet_recommendations",
    title="Diet recommendations (synthetic patients)",
    format="csv",
    accepts=("xlsx",),  # spreadsheet exports of the same table
    location="diet_recommendations/*.csv",
    contract=CONTRACT,
    normalise=strip_text,
    transform=transform,
    primary_table="users",
    primary_key="external_key",
    soft_rules=SOFT_RULES,
    update_frequency="monthly",
    cron="0 3 3 * *",
    owner="nutrition-team@healthai-coach.fr",
    licence="Not stated in any copy; a secondary doc claims CC BY 4.0 (unverified, check the "
    "Kaggle card).",
    citation="Ziya, Diet Recommendations Dataset, Kaggle (ziya07/diet-recommendations-dataset), "
    "2025.",
    origin="Kaggle ziya07/diet-recommendations-dataset (copy from "
    "bugslayer290/Smart-Nutritional-Meal-Planner, commit 3699fbe8, blob afb5dac8).",
    description="1,000 synthetic patients: age, sex, weight, height, BMI, disease, clinical "
    "measures, activity, dietary restrictions, allergies, cuisine and a recommended diet.",
    defects=(
        "`None` is a category (no disease / restriction / allergy), not a null.",
        "The recommendation is a pure function of Disease_Type (teaching data).",
        "Clinically inconsistent labels (obesity with BMI < 30, diabetes with glucose < 126, "
        "hypertension with BP < 130, severity without disease, sedentary but exercising): "
        "flagged by soft rules.",
        "BMI below 16 in 38 rows (flagged).",
        "CRLF line endings; column names with `/`.",
    ),
)
