"""Domain rules declared once: closed vocabularies and physical ranges, shared by the
database's CHECK constraints (healthai.models), the sources' pandera contracts
(healthai.sources, through `contract.measure`) and the API's schemas (api.schemas, through
`bounded`). A range written anywhere else is a bug: tests/test_domain_rules.py checks the three
agree."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import CheckConstraint

from healthai.pipeline.lifecycle_states import BatchState, FileState

SEXES = ("female", "male", "other")
GOALS = ("lose_weight", "gain_muscle", "maintain", "improve_fitness", "improve_sleep", "health")
ACTIVITY_LEVELS = ("sedentary", "light", "moderate", "active", "very_active")
PLAN_TIERS = ("free", "premium", "premium_plus", "b2b")
ORG_KINDS = ("gym", "insurer", "employer", "other")
MEAL_TYPES = ("breakfast", "lunch", "dinner", "snack", "other")
INTENSITIES = ("low", "moderate", "high")
EXERCISE_LEVELS = ("beginner", "intermediate", "expert")
MUSCLE_ROLES = ("primary", "secondary")


@dataclass(frozen=True)
class Bound:
    """The values a quantity can physically take, in its unit. `typical` is where most values
    of a population lie: a file whose values mostly lie outside it is in another unit (a weight
    in pounds), caught as a whole (`unit_suspect`) although each value may be in range."""

    min: float
    max: float
    unit: str = ""
    min_excluded: bool = False  # min itself is not allowed (a duration is above 0)
    typical: tuple[float, float] | None = None
    other_unit: str = ""  # what such a file is probably in (for the message)

    def sql(self, column: str, nullable: bool = False) -> str:
        """The SQL condition (NULL passes a CHECK anyway; `nullable` only says so)."""
        if self.min_excluded:
            test = f"{column} > {_num(self.min)} AND {column} <= {_num(self.max)}"
        else:
            test = f"{column} BETWEEN {_num(self.min)} AND {_num(self.max)}"
        return f"{column} IS NULL OR {test}" if nullable else test

    def check(self, column: str, name: str, nullable: bool = False) -> CheckConstraint:
        return CheckConstraint(self.sql(column, nullable), name=name)

    def scaled(self, factor: float, unit: str) -> Bound:
        """The same range in another unit (height in metres from centimetres)."""
        typical = (self.typical[0] * factor, self.typical[1] * factor) if self.typical else None
        return Bound(
            round(self.min * factor, 6),
            round(self.max * factor, 6),
            unit,
            self.min_excluded,
            typical,
            self.other_unit,
        )


def _num(value: float) -> str:
    return str(value)


BOUNDS: dict[str, Bound] = {
    # people
    "age_years": Bound(10, 110, "years"),
    "birth_year": Bound(1900, 2100),
    "height_cm": Bound(100, 250, "cm"),  # people of 10 years and more
    "weight_kg": Bound(20, 400, "kg", typical=(35, 140), other_unit="pounds"),
    "body_fat_pct": Bound(2, 75, "%"),
    "bmi": Bound(8, 80, "kg/m2"),
    "heart_rate_bpm": Bound(25, 250, "bpm"),
    "resting_hr_bpm": Bound(25, 220, "bpm"),
    "sleep_hours": Bound(0, 24, "h"),
    "steps": Bound(0, 150000, "steps"),
    "water_l": Bound(0, 15, "L"),
    "experience_level": Bound(1, 3),
    "workouts_per_week": Bound(0, 7, "days"),  # training days a week
    # training
    "workout_duration_min": Bound(0, 1440, "min", min_excluded=True),
    "session_calories_kcal": Bound(0, 10000, "kcal"),
    "daily_calories_kcal": Bound(0, 15000, "kcal"),
    "minutes_per_day": Bound(0, 1440, "min"),
    "app_session_s": Bound(0, 86400, "s"),
    "survey_score": Bound(0, 10),
    # food, per 100 g of edible part
    "energy_kcal_per_100g": Bound(0, 950, "kcal"),
    "grams_per_100g": Bound(0, 100, "g"),
    "sodium_mg_per_100g": Bound(0, 40000, "mg"),
    "cholesterol_mg_per_100g": Bound(0, 5000, "mg"),
    "portion_g": Bound(0, 5000, "g", min_excluded=True),
    # one meal as logged
    "meal_quantity_g": Bound(0, 5000, "g"),
    "meal_energy_kcal": Bound(0, 10000, "kcal"),
    "meal_nutrient_g": Bound(0, 2000, "g"),
    "meal_sodium_mg": Bound(0, 100000, "mg"),
    "meal_cholesterol_mg": Bound(0, 10000, "mg"),
    "meal_water_ml": Bound(0, 10000, "mL"),
    "recipe_servings": Bound(1, 1000),
    "ingredient_g": Bound(0, 10000, "g", min_excluded=True),
    # a tracker day
    "distance_km_per_day": Bound(0, 500, "km"),
    # clinical measures (labels of teaching datasets: validated, not published)
    "daily_intake_kcal": Bound(500, 10000, "kcal"),
    "blood_cholesterol_mg_dl": Bound(50, 600, "mg/dL"),
    "blood_pressure_mmhg": Bound(50, 300, "mmHg"),
    "blood_glucose_mg_dl": Bound(20, 800, "mg/dL"),
    "exercise_hours_per_week": Bound(0, 60, "h"),
}
# Biometric metrics: their bounds above, the database CHECKs each value against its metric's.
METRIC_BOUNDS = {
    m: BOUNDS[m]
    for m in (
        "weight_kg",
        "body_fat_pct",
        "bmi",
        "sleep_hours",
        "resting_hr_bpm",
        "steps",
        "water_l",
    )
}
METRICS = {
    # metric: (unit, physical minimum, physical maximum) - CHECKed in the database
    m: (b.unit, float(b.min), float(b.max))
    for m, b in METRIC_BOUNDS.items()
}
# the life cycle's states are declared with its moves (healthai.pipeline.lifecycle_states)
BATCH_STATUSES = tuple(BatchState)
FILE_STATES = tuple(FileState)
RUN_STATUSES = ("running", "succeeded", "partial", "failed", "skipped")
QUARANTINE_STATUSES = ("open", "requeued", "discarded")
# What made a new version of the published data (healthai.pipeline.versions)
VERSION_KINDS = ("publication", "rollback", "correction", "erasure", "api_write")


def in_(column: str, values: tuple[str, ...] | list[str], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)
