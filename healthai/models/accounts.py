"""People and machines allowed to call the API, their tokens, their sign-in attempts, and the
personal-data access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthai.models.base import Base, Timestamped, pk, utcnow
from healthai.models.vocab import in_

ROLES = ("admin", "steward", "analyst", "partner")


class ApiAccount(Timestamped, Base):
    """A person who signs in to the API and the web interface: a role, an Argon2 password
    hash, and for a partner the organisation whose members it may see. Machine clients act
    through API keys owned by an account."""

    __tablename__ = "api_accounts"
    __table_args__ = (
        in_("role", ROLES, "role_known"),
        # A partner is always bound to one organisation.
        CheckConstraint(
            "role <> 'partner' OR organisation_id IS NOT NULL", name="partner_has_organisation"
        ),
    )

    id: Mapped[int] = pk()
    username: Mapped[str] = mapped_column(
        String(120), unique=True, comment="Normalised (NFKC, case-folded, ASCII): one per person."
    )
    password_hash: Mapped[str] = mapped_column(String(300), comment="Argon2 hash (pwdlib).")
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True, comment="Tenant of a partner account."
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default=text("0"),
        comment="Bumped by a change of password, role, organisation or active flag: every token "
        "issued before carries an older version and is refused.",
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_accounts.id"),
        comment="The account that created this one (four eyes: neither approves the other's "
        "work). None: made on the command line.",
    )


class ApiKey(Timestamped, Base):
    """A machine client's key: only its SHA-256 is stored; the prefix identifies it in logs.
    The key acts as the account that owns it (its role, its organisation, its four-eyes
    identity) and stops working when that account is disabled."""

    __tablename__ = "api_keys"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(CHAR(64), unique=True, comment="SHA-256 of the key.")
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_accounts.id"),
        index=True,
        comment="The account the key acts as. None only for keys made before keys had owners "
        "(revoked by the migration).",
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(Base):
    """One issued refresh token (by its JWT id): rotated on use, revocable."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("api_accounts.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevokedSession(Base):
    """A signed-out session (healthai/access/authenticate.py): every access or refresh token
    carrying its id is refused, by the API and the web interface alike. A session is the chain
    of tokens one sign-in produced (its extensions and refresh rotations carry the same id).
    Deleted once every token of the session would have expired anyway (`expires_at`)."""

    __tablename__ = "revoked_sessions"

    session_id: Mapped[str] = mapped_column(
        String(64),
        primary_key=True,
        comment="The tokens' `sid` claim (their `jti` for tokens issued without one).",
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("api_accounts.id", ondelete="CASCADE"), index=True
    )
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        index=True,
        comment="When the last token the session may have issued expires: the row can go then.",
    )


class LoginAttempt(Base):
    """One sign-in attempt (API or web interface) against one key, counted by the sign-in rate
    limits of every worker and replica (healthai/access/ratelimit.py); deleted once older than
    the window (`LOGIN_RATE_WINDOW_S`)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = pk()
    key: Mapped[str] = mapped_column(
        CHAR(64),
        comment="HMAC-SHA256, keyed with PSEUDONYM_SECRET, of the normalised username or of the "
        "client address (each attempt writes one row of each).",
    )
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), index=True, comment="When the attempt was made."
    )


class PersonalDataAccess(Base):
    """Who read or exported personal data, when, what and how (RGPD accountability)."""

    __tablename__ = "personal_data_access"
    __table_args__ = (Index("ix_personal_data_access_actor_at", "actor", "at"),)

    id: Mapped[int] = pk()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20), comment="read, export or erase.")
    resource: Mapped[str] = mapped_column(String(60))
    path: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
