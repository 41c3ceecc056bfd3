"""Schemas of the CRUD resources: what a client sends (Create, Update), what it reads (Read),
and how it filters a list (Params). Ranges and vocabularies are the database's CHECKs, read
from the one declaration (healthai.models.vocab: BOUNDS and the vocabularies), so invalid
input is refused with a clear 422 before reaching the database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Id, Input, ResourceListParams, UtcDateTime, text
from healthai.models.vocab import (
    ACTIVITY_LEVELS,
    BOUNDS,
    EXERCISE_LEVELS,
    GOALS,
    INTENSITIES,
    MEAL_TYPES,
    METRICS,
    ORG_KINDS,
    PLAN_TIERS,
    SEXES,
)

Sex = Literal[SEXES]  # type: ignore[valid-type]
Goal = Literal[GOALS]  # type: ignore[valid-type]
ActivityLevel = Literal[ACTIVITY_LEVELS]  # type: ignore[valid-type]
PlanTier = Literal[PLAN_TIERS]  # type: ignore[valid-type]
OrgKind = Literal[ORG_KINDS]  # type: ignore[valid-type]
MealType = Literal[MEAL_TYPES]  # type: ignore[valid-type]
Intensity = Literal[INTENSITIES]  # type: ignore[valid-type]
ExerciseLevel = Literal[EXERCISE_LEVELS]  # type: ignore[valid-type]
Metric = Literal[tuple(METRICS)]  # type: ignore[valid-type]
Force = Literal["push", "pull", "static"]
Mechanic = Literal["compound", "isolation"]


def bounded(name: str, default: Any = None, description: str | None = None, **kw: Any) -> Any:
    """A field within the declared range `BOUNDS[name]` (the same as the database CHECK)."""
    bound = BOUNDS[name]
    low = {"gt": bound.min} if bound.min_excluded else {"ge": bound.min}
    return Field(default, **low, le=bound.max, description=description or bound.unit or None, **kw)


def per100(description: str = "g per 100 g") -> Any:
    return bounded("grams_per_100g", description=description)


def _sort(*columns: str) -> object:
    return Literal[tuple(c for col in columns for c in (col, f"-{col}"))]  # type: ignore[misc]


class Lineage(BaseModel):
    batch_id: int = Field(description="Batch that published the row.")
    source_sha256: str
    source_record: str


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ----------------------------------------------------------------------------- organisations
class OrganisationCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"slug": "gym-lyon", "name": "Gym Lyon", "kind": "gym"}]},
    )
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$", description="Tenant key.")]
    name: text(200, 1)
    kind: OrgKind


class OrganisationUpdate(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Gym"}]})
    name: text(200, 1) | None = None
    kind: OrgKind | None = None


class OrganisationRead(Orm):
    id: int
    slug: str
    name: str
    kind: str
    created_at: UtcDateTime


class OrganisationParams(ResourceListParams):
    kind: OrgKind | None = None
    name_contains: text(200) | None = None
    sort: _sort("id", "slug", "name", "created_at") | None = None  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- users
class UserFields(Input):
    birth_year: int | None = bounded("birth_year", examples=[1990])
    sex: Sex | None = None
    height_cm: float | None = bounded("height_cm", examples=[172.0])
    goal: Goal | None = None
    activity_level: ActivityLevel | None = None
    experience_level: int | None = bounded(
        "experience_level", description="1 beginner, 2 intermediate, 3 expert."
    )
    workouts_per_week: int | None = bounded("workouts_per_week")
    organisation_id: Id | None = None


class UserCreate(UserFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"birth_year": 1990, "sex": "female", "goal": "maintain", "plan_tier": "free"}
            ]
        },
    )
    external_key: text(120, 1) | None = Field(
        default=None, description="Pseudonymous natural key; generated when omitted."
    )
    plan_tier: PlanTier = "free"


class UserUpdate(UserFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"goal": "health"}]})
    plan_tier: PlanTier | None = None


class UserRead(Orm, Lineage):
    id: int
    external_key: str
    birth_year: int | None
    sex: str | None
    height_cm: float | None
    goal: str | None
    activity_level: str | None
    experience_level: int | None
    workouts_per_week: int | None
    plan_tier: str
    organisation_id: int | None
    created_at: UtcDateTime


class UserParams(ResourceListParams):
    organisation_id: Id | None = None
    plan_tier: PlanTier | None = None
    goal: Goal | None = None
    sex: Sex | None = None
    birth_year_from: int | None = bounded("birth_year")
    birth_year_to: int | None = bounded("birth_year")
    sort: _sort("id", "birth_year", "created_at", "plan_tier") | None = None  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- foods
class FoodFields(Input):
    category: text(200) | None = None
    energy_kcal: float | None = bounded("energy_kcal_per_100g", description="kcal per 100 g")
    protein_g: float | None = per100()
    carbohydrate_g: float | None = per100()
    fat_g: float | None = per100()
    fibre_g: float | None = per100()
    sugars_g: float | None = per100()
    salt_g: float | None = per100()
    sodium_mg: float | None = bounded("sodium_mg_per_100g", description="mg per 100 g")
    cholesterol_mg: float | None = bounded("cholesterol_mg_per_100g", description="mg per 100 g")
    portion_g: float | None = bounded("portion_g")


class FoodCreate(FoodFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"source_code": "apple-1", "name": "Apple", "energy_kcal": 52}]
        },
    )
    source_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,80}$")]
    name: text(300, 1)


class FoodUpdate(FoodFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"fat_g": 0.2}]})
    name: text(300, 1) | None = None


class FoodRead(Orm, Lineage):
    id: int
    code: str
    source: str
    source_code: str
    name: str
    category: str | None
    energy_kcal: float | None
    protein_g: float | None
    carbohydrate_g: float | None
    fat_g: float | None
    fibre_g: float | None
    sugars_g: float | None
    salt_g: float | None
    sodium_mg: float | None
    cholesterol_mg: float | None
    portion_g: float | None


class FoodParams(ResourceListParams):
    source: text(40) | None = None
    category: text(200) | None = None
    name_contains: text(300) | None = None
    energy_kcal_from: float | None = bounded("energy_kcal_per_100g")
    energy_kcal_to: float | None = bounded("energy_kcal_per_100g")
    sort: _sort("id", "name", "energy_kcal", "protein_g", "category") | None = None  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- recipes
class RecipeCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"source_code": "r-1", "name": "Salad", "servings": 2}]},
    )
    source_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,80}$")]
    name: text(300, 1)
    servings: int = bounded("recipe_servings", default=1)
    instructions: text(20000) | None = None


class RecipeUpdate(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"servings": 4}]})
    name: text(300, 1) | None = None
    servings: int | None = bounded("recipe_servings")
    instructions: text(20000) | None = None


class IngredientRead(Orm):
    food_id: int
    quantity_g: float


class RecipeRead(Orm, Lineage):
    id: int
    code: str
    source: str
    source_code: str
    name: str
    servings: int
    instructions: str | None
    ingredients: list[IngredientRead] = Field(default_factory=list)


class RecipeParams(ResourceListParams):
    source: text(40) | None = None
    name_contains: text(300) | None = None
    sort: _sort("id", "name", "servings") | None = None  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- exercises
class ExerciseFields(Input):
    exercise_type: text(40) | None = None
    level: ExerciseLevel | None = None
    force: Force | None = None
    mechanic: Mechanic | None = None
    instructions: text(20000) | None = None


class ExerciseCreate(ExerciseFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"source_key": "push-up", "name": "Push-up", "level": "beginner"}]
        },
    )
    source_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,120}$")]
    name: text(200, 1)


class ExerciseUpdate(ExerciseFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"level": "expert"}]})
    name: text(200, 1) | None = None


class ExerciseMuscleRead(Orm):
    muscle_id: int
    role: str = Field(examples=["primary"])


class ExerciseRead(Orm, Lineage):
    id: int
    code: str
    source: str
    source_key: str
    name: str
    exercise_type: str | None
    body_part_id: int | None
    equipment_id: int | None
    level: str | None
    force: str | None
    mechanic: str | None
    instructions: str | None
    same_as_id: int | None
    muscles: list[ExerciseMuscleRead] = Field(default_factory=list)


class ExerciseParams(ResourceListParams):
    source: text(40) | None = None
    exercise_type: text(40) | None = None
    level: ExerciseLevel | None = None
    name_contains: text(200) | None = None
    sort: _sort("id", "name", "level", "exercise_type") | None = None  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- meal logs
class MealFields(Input):
    food_id: Id | None = None
    food_label: text(300) | None = None
    quantity_g: float | None = bounded("meal_quantity_g")
    protein_g: float | None = bounded("meal_nutrient_g")
    carbohydrate_g: float | None = bounded("meal_nutrient_g")
    fat_g: float | None = bounded("meal_nutrient_g")
    fibre_g: float | None = bounded("meal_nutrient_g")
    sugars_g: float | None = bounded("meal_nutrient_g")
    sodium_mg: float | None = bounded("meal_sodium_mg")


class MealLogCreate(MealFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "user_id": 1,
                    "eaten_on": "2026-01-15",
                    "meal_type": "lunch",
                    "food_label": "Salad",
                    "energy_kcal": 420,
                }
            ]
        },
    )
    user_id: Id
    eaten_on: date
    meal_type: MealType
    energy_kcal: float = bounded("meal_energy_kcal", default=...)


class MealLogUpdate(MealFields):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"energy_kcal": 500}]}
    )
    eaten_on: date | None = None
    meal_type: MealType | None = None
    energy_kcal: float | None = bounded("meal_energy_kcal")


class MealLogRead(Orm, Lineage):
    id: int
    user_id: int
    eaten_on: date
    meal_type: str
    food_id: int | None
    food_label: str | None
    quantity_g: float | None
    energy_kcal: float
    protein_g: float | None
    carbohydrate_g: float | None
    fat_g: float | None
    fibre_g: float | None
    sugars_g: float | None
    sodium_mg: float | None


class MealLogParams(ResourceListParams):
    user_id: Id | None = None
    meal_type: MealType | None = None
    food_id: Id | None = None
    eaten_on_from: date | None = None
    eaten_on_to: date | None = None
    sort: _sort("id", "eaten_on", "energy_kcal", "user_id") | None = None  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- workouts
HR_RULE = (
    "bpm. At most `max_hr_bpm` when both are known: a rule between two fields that JSON Schema "
    "cannot state, refused with 422 (in a change, also against the stored value)."
)


class WorkoutFields(Input):
    exercise_id: Id | None = None
    performed_on: date | None = None
    calories_kcal: float | None = bounded("session_calories_kcal")
    avg_hr_bpm: int | None = bounded("heart_rate_bpm", description=HR_RULE)
    max_hr_bpm: int | None = bounded("heart_rate_bpm")
    intensity: Intensity | None = None

    @model_validator(mode="after")
    def _avg_le_max(self) -> WorkoutFields:
        if None not in (self.avg_hr_bpm, self.max_hr_bpm) and self.avg_hr_bpm > self.max_hr_bpm:  # type: ignore[operator]
            raise ValueError("avg_hr_bpm must not exceed max_hr_bpm")
        return self


class WorkoutSessionCreate(WorkoutFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "user_id": 1,
                    "workout_type": "running",
                    "performed_on": "2026-01-15",
                    "duration_min": 45,
                    "intensity": "moderate",
                }
            ]
        },
    )
    user_id: Id
    workout_type: text(40, 1)
    duration_min: float = bounded("workout_duration_min", default=...)


class WorkoutSessionUpdate(WorkoutFields):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"duration_min": 30}]}
    )
    workout_type: text(40, 1) | None = None
    duration_min: float | None = bounded("workout_duration_min")


class WorkoutSessionRead(Orm, Lineage):
    id: int
    user_id: int
    exercise_id: int | None
    workout_type: str
    performed_on: date | None
    duration_min: float
    calories_kcal: float | None
    avg_hr_bpm: int | None
    max_hr_bpm: int | None
    intensity: str | None


class WorkoutSessionParams(ResourceListParams):
    user_id: Id | None = None
    workout_type: text(40) | None = None
    intensity: Intensity | None = None
    performed_on_from: date | None = None
    performed_on_to: date | None = None
    sort: _sort("id", "performed_on", "duration_min", "user_id") | None = None  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- metrics
# every metric's range lies within these (each value is checked against its own metric's)
_METRIC_MIN = min(low for _, low, _ in METRICS.values())
_METRIC_MAX = max(high for _, _, high in METRICS.values())


class MetricCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # each metric's own range, stated (the value's bounds above are their union)
            "anyOf": [
                {
                    "properties": {
                        "metric": {"const": metric},
                        "value": {"minimum": low, "maximum": high},
                    }
                }
                for metric, (_, low, high) in METRICS.items()
            ],
            "examples": [
                {
                    "user_id": 1,
                    "metric": "weight_kg",
                    "measured_at": "2026-01-15T07:30:00Z",
                    "value": 71.5,
                }
            ],
        },
    )
    user_id: Id
    metric: Metric = Field(description="; ".join(f"{m} ({u})" for m, (u, _, _) in METRICS.items()))
    measured_at: datetime
    value: float = Field(
        ge=_METRIC_MIN, le=_METRIC_MAX, description="Checked against the metric's range."
    )

    @model_validator(mode="after")
    def _in_range(self) -> MetricCreate:
        unit, low, high = METRICS[self.metric]
        if not low <= self.value <= high:
            raise ValueError(f"{self.metric} must lie between {low} and {high} {unit}")
        return self


class MetricUpdate(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"value": 70.9}]})
    measured_at: datetime | None = None
    value: float | None = Field(default=None, ge=_METRIC_MIN, le=_METRIC_MAX)


class MetricRead(Orm, Lineage):
    id: int
    user_id: int
    metric: str
    measured_at: UtcDateTime
    value: float


class MetricParams(ResourceListParams):
    user_id: Id | None = None
    metric: Metric | None = None
    measured_at_from: datetime | None = None
    measured_at_to: datetime | None = None
    sort: _sort("id", "measured_at", "value", "user_id") | None = None  # type: ignore[valid-type]
