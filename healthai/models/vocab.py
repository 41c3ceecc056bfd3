"""Closed vocabularies, shared by CHECK constraints, pandera contracts and API schemas."""

from __future__ import annotations

from sqlalchemy import CheckConstraint

SEXES = ("female", "male", "other")
GOALS = ("lose_weight", "gain_muscle", "maintain", "improve_fitness", "improve_sleep", "health")
ACTIVITY_LEVELS = ("sedentary", "light", "moderate", "active", "very_active")
PLAN_TIERS = ("free", "premium", "premium_plus", "b2b")
ORG_KINDS = ("gym", "insurer", "employer", "other")
MEAL_TYPES = ("breakfast", "lunch", "dinner", "snack", "other")
INTENSITIES = ("low", "moderate", "high")
EXERCISE_LEVELS = ("beginner", "intermediate", "expert")
MUSCLE_ROLES = ("primary", "secondary")
METRICS = {
    # metric: (unit, physical minimum, physical maximum) - CHECKed in the database
    "weight_kg": ("kg", 20.0, 400.0),
    "body_fat_pct": ("%", 2.0, 75.0),
    "bmi": ("kg/m2", 8.0, 80.0),
    "sleep_hours": ("h", 0.0, 24.0),
    "resting_hr_bpm": ("bpm", 25.0, 220.0),
    "steps": ("steps", 0.0, 150000.0),
    "water_l": ("L", 0.0, 15.0),
}
BATCH_STATUSES = (
    "staged",
    "audited",
    "audit_failed",
    "approved",
    "rejected",
    "published",
    "rolled_back",
)
RUN_STATUSES = ("running", "succeeded", "partial", "failed", "skipped")
QUARANTINE_STATUSES = ("open", "requeued", "discarded")


def in_(column: str, values: tuple[str, ...] | list[str], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


def metric_range_check() -> CheckConstraint:
    """value within the physical range of its metric (an OR chain, portable across engines)."""
    terms = " OR ".join(
        f"(metric = '{m}' AND value BETWEEN {lo} AND {hi})" for m, (_, lo, hi) in METRICS.items()
    )
    return CheckConstraint(terms, name="value_in_metric_range")
