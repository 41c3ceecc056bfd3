"""The published domain: organisations, users, nutrition, exercises, activity, engagement."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthai.models.base import Base, Lineage, Timestamped, pk
from healthai.models.vocab import (
    ACTIVITY_LEVELS,
    BOUNDS,
    EXERCISE_LEVELS,
    GOALS,
    INTENSITIES,
    MEAL_TYPES,
    METRICS,
    MUSCLE_ROLES,
    ORG_KINDS,
    PLAN_TIERS,
    SEXES,
    in_,
)


class Organisation(Timestamped, Base):
    """A B2B white-label tenant (gym, insurer, employer)."""

    __tablename__ = "organisations"
    __table_args__ = (in_("kind", ORG_KINDS, "kind_known"),)

    id: Mapped[int] = pk()
    slug: Mapped[str] = mapped_column(String(60), unique=True, comment="Stable tenant key.")
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), comment="gym, insurer, employer or other.")


class User(Lineage, Timestamped, Base):
    """A coached person: profile, plan and tenant. `external_key` is pseudonymous."""

    __tablename__ = "users"
    __table_args__ = (
        in_("sex", SEXES, "sex_known"),
        in_("goal", GOALS, "goal_known"),
        in_("activity_level", ACTIVITY_LEVELS, "activity_level_known"),
        in_("plan_tier", PLAN_TIERS, "plan_tier_known"),
        BOUNDS["birth_year"].check("birth_year", "birth_year_plausible"),
        # looser than BOUNDS until the schema squash (a CHECK change rebuilds `users` on
        # SQLite): the contracts and the API already refuse what BOUNDS refuses
        CheckConstraint("height_cm BETWEEN 50 AND 260", name="height_plausible"),
        BOUNDS["experience_level"].check("experience_level", "experience_level_range"),
        CheckConstraint("workouts_per_week BETWEEN 0 AND 14", name="workouts_per_week_range"),
        Index("ix_users_organisation_id_plan_tier", "organisation_id", "plan_tier"),
    )

    id: Mapped[int] = pk()
    external_key: Mapped[str] = mapped_column(
        String(120), unique=True, comment="Pseudonymous natural key: source name + record."
    )
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str | None] = mapped_column(String(10))
    height_cm: Mapped[float | None] = mapped_column(Float)
    goal: Mapped[str | None] = mapped_column(String(30))
    activity_level: Mapped[str | None] = mapped_column(String(20))
    experience_level: Mapped[int | None] = mapped_column(
        SmallInteger, comment="1 beginner, 2 intermediate, 3 expert."
    )
    workouts_per_week: Mapped[int | None] = mapped_column(SmallInteger)
    plan_tier: Mapped[str] = mapped_column(String(20), default="free", index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    organisation: Mapped[Organisation | None] = relationship()
    dietary_restrictions: Mapped[list[UserDietaryRestriction]] = relationship(
        cascade="all, delete-orphan"
    )
    allergies: Mapped[list[UserAllergy]] = relationship(cascade="all, delete-orphan")


class UserDietaryRestriction(Base):
    __tablename__ = "user_dietary_restrictions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    restriction: Mapped[str] = mapped_column(String(40), primary_key=True)


class UserAllergy(Base):
    __tablename__ = "user_allergies"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    allergen: Mapped[str] = mapped_column(String(40), primary_key=True)


class Subscription(Lineage, Base):
    """Plan history, one row per period on a tier (for conversion analytics)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        in_("plan_tier", PLAN_TIERS, "plan_tier_known"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="period_ordered"),
        UniqueConstraint("user_id", "started_on", "plan_tier"),
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    plan_tier: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Food(Lineage, Base):
    """A food with its nutrients per 100 g (edible part)."""

    __tablename__ = "foods"
    __table_args__ = (
        BOUNDS["energy_kcal_per_100g"].check("energy_kcal", "energy", nullable=True),
        *(
            BOUNDS["grams_per_100g"].check(c, f"{c}_per_100g", nullable=True)
            for c in ("protein_g", "carbohydrate_g", "fat_g", "fibre_g", "sugars_g", "salt_g")
        ),
        BOUNDS["sodium_mg_per_100g"].check("sodium_mg", "sodium", nullable=True),
        BOUNDS["cholesterol_mg_per_100g"].check("cholesterol_mg", "cholesterol", nullable=True),
        Index("ix_foods_name", "name"),
    )

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(
        String(130), unique=True, comment="Natural key: '<source>:<identifier in the source>'."
    )
    source: Mapped[str] = mapped_column(String(40), comment="Source name (e.g. ciqual).")
    source_code: Mapped[str] = mapped_column(String(80), comment="Identifier in the source.")
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    energy_kcal: Mapped[float | None] = mapped_column(Float, comment="kcal per 100 g")
    protein_g: Mapped[float | None] = mapped_column(Float, comment="g per 100 g")
    carbohydrate_g: Mapped[float | None] = mapped_column(Float, comment="g per 100 g")
    fat_g: Mapped[float | None] = mapped_column(Float, comment="g per 100 g")
    fibre_g: Mapped[float | None] = mapped_column(Float, comment="g per 100 g")
    sugars_g: Mapped[float | None] = mapped_column(Float, comment="g per 100 g")
    salt_g: Mapped[float | None] = mapped_column(Float, comment="g per 100 g")
    sodium_mg: Mapped[float | None] = mapped_column(Float, comment="mg per 100 g")
    cholesterol_mg: Mapped[float | None] = mapped_column(Float, comment="mg per 100 g")
    portion_g: Mapped[float | None] = mapped_column(
        Float, comment="Typical portion in grams, when the source states one."
    )


class Recipe(Lineage, Base):
    __tablename__ = "recipes"
    __table_args__ = (CheckConstraint("servings > 0", name="servings_positive"),)

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(130), unique=True, comment="'<source>:<id>'.")
    source: Mapped[str] = mapped_column(String(40))
    source_code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    servings: Mapped[int] = mapped_column(SmallInteger, default=1)
    instructions: Mapped[str | None] = mapped_column(Text)

    ingredients: Mapped[list[RecipeIngredient]] = relationship(cascade="all, delete-orphan")


class RecipeIngredient(Base):
    __tablename__ = "recipe_ingredients"
    __table_args__ = (BOUNDS["ingredient_g"].check("quantity_g", "quantity"),)

    recipe_id: Mapped[int] = mapped_column(
        ForeignKey("recipes.id", ondelete="CASCADE"), primary_key=True
    )
    food_id: Mapped[int] = mapped_column(ForeignKey("foods.id"), primary_key=True, index=True)
    quantity_g: Mapped[float] = mapped_column(Float)


class MealLog(Lineage, Base):
    """What a user ate: a food (or free text) and the nutrients of the logged quantity."""

    __tablename__ = "meal_logs"
    __table_args__ = (
        in_("meal_type", MEAL_TYPES, "meal_type_known"),
        BOUNDS["meal_quantity_g"].check("quantity_g", "quantity", nullable=True),
        BOUNDS["meal_energy_kcal"].check("energy_kcal", "energy"),
        *(
            BOUNDS["meal_nutrient_g"].check(c, f"{c}_range", nullable=True)
            for c in ("protein_g", "carbohydrate_g", "fat_g", "fibre_g", "sugars_g")
        ),
        Index("ix_meal_logs_user_id_eaten_on", "user_id", "eaten_on"),
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    eaten_on: Mapped[date] = mapped_column(Date, index=True)
    meal_type: Mapped[str] = mapped_column(String(20))
    food_id: Mapped[int | None] = mapped_column(ForeignKey("foods.id"), index=True)
    food_label: Mapped[str | None] = mapped_column(String(300))
    quantity_g: Mapped[float | None] = mapped_column(Float)
    energy_kcal: Mapped[float] = mapped_column(Float)
    protein_g: Mapped[float | None] = mapped_column(Float)
    carbohydrate_g: Mapped[float | None] = mapped_column(Float)
    fat_g: Mapped[float | None] = mapped_column(Float)
    fibre_g: Mapped[float | None] = mapped_column(Float)
    sugars_g: Mapped[float | None] = mapped_column(Float)
    sodium_mg: Mapped[float | None] = mapped_column(Float)


class BodyPart(Base):
    __tablename__ = "body_parts"
    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Muscle(Base):
    __tablename__ = "muscles"
    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Equipment(Base):
    __tablename__ = "equipment"
    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Exercise(Lineage, Base):
    """One exercise of the merged catalogue, with its vocabulary references."""

    __tablename__ = "exercises"
    __table_args__ = (
        in_("level", EXERCISE_LEVELS, "level_known"),
        in_("force", ("push", "pull", "static"), "force_known"),
        in_("mechanic", ("compound", "isolation"), "mechanic_known"),
        Index("ix_exercises_name", "name"),
    )

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(170), unique=True, comment="'<source>:<id>'.")
    source: Mapped[str] = mapped_column(String(40))
    source_key: Mapped[str] = mapped_column(String(120), comment="Identifier in the source.")
    name: Mapped[str] = mapped_column(String(200))
    exercise_type: Mapped[str | None] = mapped_column(
        String(40), index=True, comment="strength, cardio, stretching, plyometrics..."
    )
    body_part_id: Mapped[int | None] = mapped_column(ForeignKey("body_parts.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    level: Mapped[str | None] = mapped_column(String(20), comment="Difficulty level.")
    force: Mapped[str | None] = mapped_column(String(10))
    mechanic: Mapped[str | None] = mapped_column(String(12))
    instructions: Mapped[str | None] = mapped_column(Text, comment="Steps, one per line.")
    same_as_id: Mapped[int | None] = mapped_column(
        ForeignKey("exercises.id"), comment="The matching exercise of another source, if any."
    )

    body_part: Mapped[BodyPart | None] = relationship()
    equipment: Mapped[Equipment | None] = relationship()
    muscles: Mapped[list[ExerciseMuscle]] = relationship(cascade="all, delete-orphan")


class ExerciseMuscle(Base):
    __tablename__ = "exercise_muscles"
    __table_args__ = (in_("role", MUSCLE_ROLES, "role_known"),)

    exercise_id: Mapped[int] = mapped_column(
        ForeignKey("exercises.id", ondelete="CASCADE"), primary_key=True
    )
    muscle_id: Mapped[int] = mapped_column(ForeignKey("muscles.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)


class WorkoutSession(Lineage, Base):
    __tablename__ = "workout_sessions"
    __table_args__ = (
        in_("intensity", INTENSITIES, "intensity_known"),
        BOUNDS["workout_duration_min"].check("duration_min", "duration"),
        BOUNDS["session_calories_kcal"].check("calories_kcal", "calories", nullable=True),
        BOUNDS["heart_rate_bpm"].check("avg_hr_bpm", "avg_hr", nullable=True),
        BOUNDS["heart_rate_bpm"].check("max_hr_bpm", "max_hr", nullable=True),
        CheckConstraint(
            "avg_hr_bpm IS NULL OR max_hr_bpm IS NULL OR avg_hr_bpm <= max_hr_bpm",
            name="avg_le_max_hr",
        ),
        Index("ix_workout_sessions_user_id_performed_on", "user_id", "performed_on"),
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"), index=True)
    workout_type: Mapped[str] = mapped_column(String(40), index=True)
    performed_on: Mapped[date | None] = mapped_column(Date, index=True)
    duration_min: Mapped[float] = mapped_column(Float)
    calories_kcal: Mapped[float | None] = mapped_column(Float)
    avg_hr_bpm: Mapped[int | None] = mapped_column(SmallInteger)
    max_hr_bpm: Mapped[int | None] = mapped_column(SmallInteger)
    intensity: Mapped[str | None] = mapped_column(String(10))


class BiometricReading(Base):
    """The biometric measurements of one source record: one user at one time, one column per
    metric (wide: a daily reading of six metrics is one row, not six).

    On PostgreSQL the table is partitioned by batch (`LIST (batch_id)`): a batch's rows are
    loaded into a table of their own (binary COPY, keys and checks added after the load) that
    becomes a partition at publication (`ATTACH PARTITION`, no row copied) and leaves at
    rollback (`DETACH PARTITION`). The long view `biometric_measurements` (one row per metric)
    keeps the shape the API and the analytics read. A batch holds one reading per user and
    time (a unique index, with the batch). The natural key of a measurement, (user_id, metric,
    measured_at) over the non-empty metrics, is unique across every published or pending
    batch: proved by the audit and by API writes under one lock (healthai.pipeline.measurements)."""

    __tablename__ = "biometric_readings"
    __table_args__ = (
        *(
            CheckConstraint(f"{m} IS NULL OR {m} BETWEEN {lo} AND {hi}", name=f"{m}_range")
            for m, (_unit, lo, hi) in METRICS.items()
        ),
        CheckConstraint(" OR ".join(f"{m} IS NOT NULL" for m in METRICS), name="has_a_measurement"),
        # one reading per user and time in a batch (with the batch: the partition key must be
        # part of a unique index of a partitioned table); across batches see the docstring
        Index(
            "uq_biometric_readings_user_id_measured_at_batch_id",
            "user_id",
            "measured_at",
            "batch_id",
            unique=True,
        ),
        {"postgresql_partition_by": "LIST (batch_id)"},
    )

    id: Mapped[int] = mapped_column(
        Integer,
        primary_key=True,
        comment="Reading id (on PostgreSQL the primary key is (id, batch_id), as a partitioned "
        "table requires). A measurement's id in the long view is id * 8 + the metric's rank.",
    )
    batch_id: Mapped[int] = mapped_column(
        Integer,
        comment="Batch that published this row (its partition on PostgreSQL; batches are never "
        "deleted, so no foreign key is checked row by row).",
    )
    record: Mapped[int] = mapped_column(
        Integer,
        comment="Record number in the batch's source file (1-based, header excluded); "
        "0 for a reading written through the API (audit_log says who and when).",
    )
    since_version: Mapped[int | None] = mapped_column(
        Integer,
        comment="Dataset version from which this row holds, when it differs from its batch's "
        "publication (a row written or changed through the API); NULL otherwise.",
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    weight_kg: Mapped[float | None] = mapped_column(Float, comment="kg")
    body_fat_pct: Mapped[float | None] = mapped_column(Float, comment="%")
    bmi: Mapped[float | None] = mapped_column(Float, comment="kg/m2")
    sleep_hours: Mapped[float | None] = mapped_column(Float, comment="h")
    resting_hr_bpm: Mapped[float | None] = mapped_column(Float, comment="bpm")
    steps: Mapped[float | None] = mapped_column(Float, comment="steps")
    water_l: Mapped[float | None] = mapped_column(Float, comment="L")


class DailyActivity(Lineage, Base):
    """Tracker day: steps, active minutes by intensity, calories."""

    __tablename__ = "daily_activity"
    __table_args__ = (
        UniqueConstraint("user_id", "activity_date"),
        BOUNDS["steps"].check("steps", "steps"),
        CheckConstraint(
            "very_active_min + fairly_active_min + lightly_active_min + sedentary_min <= 1440",
            name="minutes_within_day",
        ),
        CheckConstraint(
            "very_active_min >= 0 AND fairly_active_min >= 0 AND lightly_active_min >= 0 "
            "AND sedentary_min >= 0",
            name="minutes_non_negative",
        ),
        BOUNDS["daily_calories_kcal"].check("calories_kcal", "calories"),
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity_date: Mapped[date] = mapped_column(Date, index=True)
    steps: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[float | None] = mapped_column(Float)
    very_active_min: Mapped[int] = mapped_column(SmallInteger)
    fairly_active_min: Mapped[int] = mapped_column(SmallInteger)
    lightly_active_min: Mapped[int] = mapped_column(SmallInteger)
    sedentary_min: Mapped[int] = mapped_column(SmallInteger)
    calories_kcal: Mapped[float] = mapped_column(Float)


class AppSession(Lineage, Base):
    """One session in the mobile app (engagement: DAU/WAU/MAU, retention)."""

    __tablename__ = "app_sessions"
    __table_args__ = (
        CheckConstraint("duration_s >= 0 AND duration_s <= 86400", name="duration"),
        in_("platform", ("ios", "android", "web"), "platform_known"),
        Index("ix_app_sessions_started_at_user_id", "started_at", "user_id"),
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(10))


class SatisfactionSurvey(Lineage, Base):
    """A satisfaction answer: score from 0 to 10 (NPS scale)."""

    __tablename__ = "satisfaction_surveys"
    __table_args__ = (BOUNDS["survey_score"].check("score", "score_range"),)

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answered_on: Mapped[date] = mapped_column(Date, index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)


# ----------------------------------------------------------------------------- aggregates
# Maintained at publication (healthai.pipeline.aggregates) so that the analytics read a few
# rows per user instead of scanning the fact tables. Keyed by user: a partner's scope (the
# user's current organisation) is applied at read time, as on the fact tables.


class UserMetricSpan(Base):
    """Per user and biometric metric: how many measurements, the first and the last."""

    __tablename__ = "user_metric_spans"
    __table_args__ = (Index("ix_user_metric_spans_metric_user_id", "metric", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    measurements: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_value: Mapped[float] = mapped_column(Float)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_value: Mapped[float] = mapped_column(Float)


class BatchMetricSpan(Base):
    """Per batch, user and metric: the batch's own measurements (count, first, last), taken
    from its readings when it is audited, so that its publication merges one row per user and
    metric into `user_metric_spans` instead of reading the batch's rows again (approval to
    visible does not grow with the batch's rows). Removed once merged."""

    __tablename__ = "batch_metric_spans"

    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    measurements: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_value: Mapped[float] = mapped_column(Float)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_value: Mapped[float] = mapped_column(Float)


class UserSessionSpan(Base):
    """Per user: app sessions, the first and the last start."""

    __tablename__ = "user_session_spans"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    sessions: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class DailyUserSessions(Base):
    """Per user and day (UTC): app sessions, the first and the last start that day."""

    __tablename__ = "daily_user_sessions"
    __table_args__ = (Index("ix_daily_user_sessions_day_user_id", "day", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True, comment="UTC day.")
    sessions: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DailyUserWorkouts(Base):
    """Per user, day, workout type and intensity: workout sessions and their minutes (only
    sessions with a day; intensity '' when not recorded, read back as null)."""

    __tablename__ = "daily_user_workouts"
    __table_args__ = (Index("ix_daily_user_workouts_day_user_id", "day", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workout_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    intensity: Mapped[str] = mapped_column(
        String(10), primary_key=True, comment="'' when not recorded."
    )
    sessions: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[float] = mapped_column(Float)


class UserWorkouts(Base):
    """Per user, workout type and intensity: every workout session (with or without a day)
    and their minutes (intensity '' when not recorded, read back as null): what the fitness
    figures over the whole history read."""

    __tablename__ = "user_workouts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    workout_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    intensity: Mapped[str] = mapped_column(
        String(10), primary_key=True, comment="'' when not recorded."
    )
    sessions: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[float] = mapped_column(Float)


class DailyUserSurveys(Base):
    """Per user and day: satisfaction answers, the sum of their scores, promoters (9-10) and
    detractors (0-6)."""

    __tablename__ = "daily_user_surveys"
    __table_args__ = (Index("ix_daily_user_surveys_day_user_id", "day", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    answers: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[int] = mapped_column(Integer)
    promoters: Mapped[int] = mapped_column(Integer)
    detractors: Mapped[int] = mapped_column(Integer)


class DailyUserPlans(Base):
    """Per user and day: plan periods started that day, free and paid (premium, premium_plus)."""

    __tablename__ = "daily_user_plans"
    __table_args__ = (Index("ix_daily_user_plans_day_user_id", "day", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    free_periods: Mapped[int] = mapped_column(Integer)
    paid_periods: Mapped[int] = mapped_column(Integer)


class DailyUserNutrition(Base):
    """Per user and day: meals logged and the day's total of each nutrient (null when no meal
    of the day states it)."""

    __tablename__ = "daily_user_nutrition"
    __table_args__ = (Index("ix_daily_user_nutrition_day_user_id", "day", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    meals: Mapped[int] = mapped_column(Integer)
    energy_kcal: Mapped[float | None] = mapped_column(Float)
    protein_g: Mapped[float | None] = mapped_column(Float)
    carbohydrate_g: Mapped[float | None] = mapped_column(Float)
    fat_g: Mapped[float | None] = mapped_column(Float)
    fibre_g: Mapped[float | None] = mapped_column(Float)
    sugars_g: Mapped[float | None] = mapped_column(Float)
    sodium_mg: Mapped[float | None] = mapped_column(Float)
