"""SQLAlchemy 2 models: one metadata for the whole platform (Alembic's target)."""

from healthai.models.accounts import (
    ROLES,
    ApiAccount,
    ApiKey,
    PersonalDataAccess,
    RefreshToken,
    RevokedSession,
)
from healthai.models.base import Base, Lineage
from healthai.models.domain import (
    AppSession,
    BatchMetricSpan,
    BiometricReading,
    BodyPart,
    DailyActivity,
    DailyUserNutrition,
    DailyUserPlans,
    DailyUserSessions,
    DailyUserSurveys,
    DailyUserWorkouts,
    Equipment,
    Exercise,
    ExerciseMuscle,
    Food,
    MealLog,
    Muscle,
    Organisation,
    Recipe,
    RecipeIngredient,
    SatisfactionSurvey,
    Subscription,
    User,
    UserAllergy,
    UserDietaryRestriction,
    UserMetricSpan,
    UserSessionSpan,
    UserWorkouts,
    WorkoutSession,
)
from healthai.models.pipeline import (
    AuditLog,
    Batch,
    BatchCheck,
    DatasetVersion,
    Erasure,
    IngestionRun,
    QuarantinedRow,
    QuarantineRepeat,
    RawFile,
    Source,
)
from healthai.models.quality import QUALITY_DIMENSIONS, QualityMetric, QualitySnapshot
from healthai.models.rollups import ConversionRollup, EngagementRollup, ProgressionRollup
from healthai.models.staging import HISTORY, NATURAL_KEYS, PUBLISHED, STAGING, VOCABULARIES
from healthai.models.views import VIEWS, BiometricMeasurement

metadata = Base.metadata


def table(name: str):  # noqa: ANN201 - a Table
    """A table or a view (healthai.models.views) by name."""
    from healthai.models.views import ViewBase

    return metadata.tables.get(name) if name in metadata.tables else ViewBase.metadata.tables[name]


__all__ = [
    "ApiAccount",
    "ApiKey",
    "PersonalDataAccess",
    "ROLES",
    "RefreshToken",
    "RevokedSession",
    "AppSession",
    "AuditLog",
    "Base",
    "Batch",
    "BatchCheck",
    "BatchMetricSpan",
    "BiometricMeasurement",
    "BiometricReading",
    "DatasetVersion",
    "HISTORY",
    "BodyPart",
    "ConversionRollup",
    "DailyActivity",
    "DailyUserNutrition",
    "DailyUserPlans",
    "DailyUserSurveys",
    "DailyUserWorkouts",
    "DailyUserSessions",
    "EngagementRollup",
    "Equipment",
    "Erasure",
    "Exercise",
    "ExerciseMuscle",
    "Food",
    "IngestionRun",
    "Lineage",
    "MealLog",
    "Muscle",
    "NATURAL_KEYS",
    "Organisation",
    "ProgressionRollup",
    "PUBLISHED",
    "QUALITY_DIMENSIONS",
    "QualityMetric",
    "QualitySnapshot",
    "QuarantinedRow",
    "QuarantineRepeat",
    "RawFile",
    "Recipe",
    "RecipeIngredient",
    "STAGING",
    "SatisfactionSurvey",
    "Source",
    "Subscription",
    "User",
    "UserAllergy",
    "UserDietaryRestriction",
    "UserMetricSpan",
    "UserSessionSpan",
    "UserWorkouts",
    "VIEWS",
    "VOCABULARIES",
    "WorkoutSession",
    "metadata",
    "table",
]
