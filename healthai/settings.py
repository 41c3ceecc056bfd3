"""Configuration from environment variables (and an optional `.env` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of the platform; the names are the environment variables (prefix-free)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'healthai.db'}",
        description="SQLAlchemy URL of the application database (SQLite file by default).",
    )
    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Git-ignored working folder.")
    raw_dir: Path = Field(
        default=PROJECT_ROOT / "raw", description="Shipped reference files (read-only inputs)."
    )
    landing_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "landing",
        description="Landing zone watched by the sensor: drop new source files here.",
    )
    raw_store_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "raw_store",
        description="Immutable copies of every ingested file, named by content hash.",
    )
    reports_dir: Path = Field(
        default=PROJECT_ROOT / "profiles_reports", description="Profiling reports output."
    )
    auto_approve_sources: str = Field(
        default="",
        description="Comma-separated source names whose audited batches publish without a "
        "human decision (trusted sources only). Empty: every batch waits for approval.",
    )
    four_eyes: bool = Field(
        default=True, description="Whoever corrected rows of a batch cannot also approve it."
    )
    log_level: str = Field(default="INFO", description="Level of the JSON log lines.")
    alert_webhook_url: str = Field(
        default="",
        description="URL that receives a JSON POST for every quality alert (a source later than "
        "its update frequency, or whose quality score fell below its threshold). Empty: alerts "
        "are only logged (logger healthai.quality) and shown as failed Dagster asset checks.",
    )
    alert_webhook_timeout_s: float = Field(
        default=5.0,
        description="Timeout of the alert webhook call; a failed call never fails a run.",
    )
    quality_score_threshold: float = Field(
        default=80.0,
        description="Overall quality score (0-100) below which a source raises an alert.",
    )
    quality_thresholds: str = Field(
        default="",
        description="Per-source score thresholds overriding the default, e.g. "
        "'gym_members=85,free_exercise_db=90'.",
    )
    profile_minimal_rows: int = Field(
        default=50_000,
        description="Above this many rows (or 100 columns), data-profiling reports run in "
        "minimal mode so large sources stay fast.",
    )

    @property
    def auto_approved(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.auto_approve_sources.split(",") if s.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
