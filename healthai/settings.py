"""Configuration from environment variables (and an optional `.env` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-insecure-secret-change-me"  # refused when ENVIRONMENT=production


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
    ingest_chunk_rows: int = Field(
        default=200_000,
        ge=1,
        description="Rows read, validated, cleaned and staged at a time: a file of any size is "
        "ingested in memory bounded by this (about 1 KB a row at most per step).",
    )

    # ------------------------------------------------------------------ API
    environment: str = Field(
        default="development",
        description="development, test or production. In production the API refuses to start "
        "with the development secrets.",
    )
    jwt_secret: str = Field(
        default=DEV_SECRET,
        description="Key signing the API's JWTs (HS256). Required outside development.",
    )
    pseudonym_secret: str = Field(
        default=DEV_SECRET,
        description="HMAC key pseudonymising user identifiers in analysts' exports.",
    )
    access_token_minutes: int = Field(default=15, ge=1, description="Access token lifetime.")
    refresh_token_days: int = Field(default=7, ge=1, description="Refresh token lifetime.")
    cors_origins: str = Field(
        default="http://127.0.0.1:5006,http://localhost:5006",
        description="Comma-separated origins allowed by CORS (the web interface by default).",
    )
    login_rate_limit: int = Field(
        default=5, ge=1, description="Login attempts allowed per client and username per window."
    )
    login_rate_window_s: int = Field(default=60, ge=1, description="Login rate-limit window.")
    api_workers: int = Field(
        default=2,
        ge=1,
        description="Processes serving the API (uvicorn --workers, in docker-compose.yml and "
        "the benchmark): each has its own interpreter, so the API uses more than one core. "
        "About one per core.",
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="PostgreSQL connections each process keeps open (SQLAlchemy pool). An API "
        "worker runs up to 40 requests at a time: a smaller pool makes them queue for a "
        "connection. Mind the server's max_connections: processes times (pool + overflow).",
    )
    db_max_overflow: int = Field(
        default=10,
        ge=0,
        description="Connections a process may open above db_pool_size under a burst (closed "
        "again when returned).",
    )

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> Settings:
        if self.environment == "production":
            for name in ("jwt_secret", "pseudonym_secret"):
                value = getattr(self, name)
                if value == DEV_SECRET or len(value) < 32:
                    raise ValueError(
                        f"{name.upper()} must be set to a secret of at least 32 characters "
                        "when ENVIRONMENT=production"
                    )
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    exercisedb_url: str = Field(
        default="",
        description="Base URL of the ExerciseDB REST API (e.g. https://oss.exercisedb.dev; the "
        "client calls <url>/api/v1/exercises). Its data is AGPL-3.0: fetched at run time into "
        "the landing zone, never shipped. Empty: the exercisedb source is disabled (skipped).",
    )
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
