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

    @property
    def auto_approved(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.auto_approve_sources.split(",") if s.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
