"""Response schemas of the analytics (the numbers come from healthai.queries.analytics)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import UtcDateTime


class AgeBand(BaseModel):
    band: str = Field(examples=["25-34"])
    users: int


class GoalCount(BaseModel):
    goal: str | None = Field(examples=["lose_weight"])
    users: int


class Progression(BaseModel):
    metric: str = Field(examples=["weight_kg"])
    users_measured: int
    users_with_progression: int
    mean_change: float | None
    mean_change_per_week: float | None
    share_decreasing: float | None


class NutritionDay(BaseModel):
    date: date
    users: int
    energy_kcal: float | None
    protein_g: float | None
    carbohydrate_g: float | None
    fat_g: float | None
    fibre_g: float | None
    sugars_g: float | None
    sodium_mg: float | None


class ReferenceGap(BaseModel):
    sex: str
    goal: str
    nutrient: str = Field(examples=["protein_g"])
    users: int
    deficit: int
    within: int
    excess: int
    reference: float = Field(description="Daily reference intake (upper limit for sugars, sodium).")


class WorkoutCount(BaseModel):
    workout_type: str
    sessions: int
    users: int
    minutes: float


class IntensityCount(BaseModel):
    intensity: str | None
    sessions: int


class Engagement(BaseModel):
    as_of: datetime
    dau: int
    wau: int
    mau: int
    stickiness: float | None = Field(description="DAU / MAU.")
    users_with_sessions: int
    retention_d7: float | None
    retention_d30: float | None


class Conversion(BaseModel):
    users: int
    by_plan: dict[str, int]
    premium_share: float | None
    free_users_with_history: int
    converted: int
    conversion_rate: float | None


class Satisfaction(BaseModel):
    answers: int
    mean_score: float | None
    nps: float | None = Field(description="Net Promoter Score, -100 to 100.")


class Quality(BaseModel):
    batches_by_status: dict[str, int]
    quarantine: list[dict[str, str | int]]


class QualityMetricRead(BaseModel):
    dimension: str = Field(examples=["validity"])
    table_name: str | None
    column_name: str | None
    rule: str
    description: str | None
    value: float | None = Field(description="Share in [0, 1] (1 is best).")
    numerator: float | None
    denominator: float | None
    passed: bool | None
    detail: dict[str, Any]


class QualitySnapshotRead(BaseModel):
    source: str = Field(examples=["gym_members"])
    id: int
    measured_at: UtcDateTime
    score: float | None = Field(description="Weighted score of the dimensions, 0 to 1.")
    threshold: float
    completeness: float | None
    validity: float | None
    uniqueness: float | None
    consistency: float | None
    freshness: float | None
    volume: float | None
    backlog: float | None
    newest_data_at: UtcDateTime | None
    age_hours: float | None
    max_age_hours: float | None
    stale: bool
    rows_in: int | None
    rows_expected: float | None
    volume_anomaly: bool
    quarantine_open: int
    alerts: list[dict[str, Any]]
    run_id: int | None
    dagster_run_id: str | None
    below_threshold: bool


class QualitySourceDetail(QualitySnapshotRead):
    metrics: list[QualityMetricRead]
