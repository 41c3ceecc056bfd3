"""Configuration from environment variables (and an optional `.env` file)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = "secrets.env"


def secrets_path() -> Path:
    """The git-ignored file of generated secrets (`healthai secrets`, run by `make run`):
    `$VAR_DIR/secrets.env`, `var/secrets.env` by default."""
    return Path(os.environ.get("VAR_DIR") or PROJECT_ROOT / "var") / SECRETS_FILE


class Settings(BaseSettings):
    """Every knob of the platform; the names are the environment variables (prefix-free)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then `.env`, then the generated secrets file
        (`secrets_path()`): a secret set anywhere else wins over the generated one."""
        generated = DotEnvSettingsSource(settings_cls, env_file=secrets_path())
        return init_settings, env_settings, dotenv_settings, generated, file_secret_settings

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'healthai.db'}",
        description="SQLAlchemy URL of the application database (SQLite file by default).",
    )
    database_read_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a read replica of the application database (PostgreSQL "
        "streaming replica): the API's read-only routes (resource reads, analytics, the ETag's "
        "dataset version) read there; writes, sign-in and the personal-data access log go to "
        "DATABASE_URL. Empty: everything on DATABASE_URL.",
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
        description="development, test or production (informative: the secrets are checked "
        "the same way in every environment).",
    )
    jwt_secret: str = Field(
        default="",
        description="Key signing the API's and the web interface's tokens (HS256), 32+ "
        "characters. No default: `make run` generates one into var/secrets.env; the API and "
        "the web interface refuse to start without one, or with a known placeholder.",
    )
    pseudonym_secret: str = Field(
        default="",
        description="HMAC key of the pseudonyms in exports and of the sign-in rate limit's "
        "keys, 32+ characters, distinct from JWT_SECRET. Generated like JWT_SECRET.",
    )
    access_token_minutes: int = Field(default=15, ge=1, description="Access token lifetime.")
    refresh_token_days: int = Field(default=7, ge=1, description="Refresh token lifetime.")
    cors_origins: str = Field(
        default="http://127.0.0.1:5006,http://localhost:5006",
        description="Comma-separated origins allowed by CORS (the web interface by default).",
    )
    login_rate_limit: int = Field(
        default=5,
        ge=1,
        description="Failed sign-in attempts allowed per username (from any address) per window.",
    )
    login_address_rate_limit: int = Field(
        default=20,
        ge=1,
        description="Sign-in attempts allowed per client address (for any username) per window.",
    )
    login_rate_window_s: int = Field(default=60, ge=1, description="Login rate-limit window.")
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks (CIDR) of the reverse proxies whose "
        "X-Forwarded-For is believed. Empty: none, the client address is the peer's.",
    )
    max_request_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body the API reads; bigger ones get 413 before any parsing.",
    )
    max_request_header_bytes: int = Field(
        default=16_384,
        ge=1024,
        description="Largest total size of a request's headers; bigger ones get 431.",
    )
    db_lock_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Seconds a statement of the API or the web interface waits for a lock "
        "(SQLite busy timeout, PostgreSQL lock_timeout) before the request fails with 503.",
    )
    pipeline_lock_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="The same for the pipeline's sessions (Dagster runs and sensors): longer, "
        "a publication may wait for another one.",
    )
    api_workers: int = Field(
        default=2,
        ge=1,
        description="Processes serving the API (uvicorn --workers, in docker-compose.yml and "
        "the benchmark): each has its own interpreter, so the API uses more than one core. "
        "About one per core.",
    )
    auth_cache_ttl_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds an API worker reuses what it read about an account or an API key "
        "(healthai.access.cache) instead of reading it at every request: a revocation (new "
        "password, role, organisation, disabled account, revoked key, signed-out session) is "
        "refused by every worker and replica at the latest this long after it, at once by the "
        "worker that made it. 0: read at every request.",
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

    lab_notebooks_dir: Path = Field(
        default=PROJECT_ROOT / "notebooks" / "analyses",
        description="Folder of the data scientists' notebooks that become Dagster assets "
        "(docs/data-scientists.md): every .ipynb there is one asset lab/<output>.",
    )
    lab_notebook_timeout_s: int = Field(
        default=3600,
        ge=1,
        description="Longest a cell of a notebook asset may run before the run fails.",
    )
    lab_snapshots_keep: int = Field(
        default=10,
        ge=1,
        description="Dataset snapshots kept in var/snapshots/ (the newest); an older one is "
        "written again, identical, from its version (healthai lab snapshot --version N).",
    )

    @property
    def auto_approved(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.auto_approve_sources.split(",") if s.strip())

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        import ipaddress

        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError: refused
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
