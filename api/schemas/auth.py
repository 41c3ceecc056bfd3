"""Tokens, accounts and API keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Id, Input, UtcDateTime, text
from healthai.access import normalise_username
from healthai.access.usernames import RESERVED, RESERVED_PREFIXES

Role = Literal["admin", "steward", "analyst", "partner"]
# the characters healthai.access.usernames keeps (upper case allowed: it is folded)
USERNAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._@-]{1,118})[A-Za-z0-9]$"


class Token(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOi...",
                    "refresh_token": "eyJhbGciOi...",
                    "token_type": "bearer",
                    "expires_in": 900,
                }
            ]
        }
    )
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"refresh_token": "eyJhbGciOi..."}]}
    )
    refresh_token: text(4096, 1)


class Me(BaseModel):
    kind: str = Field(examples=["account"], description="account, or api_key.")
    name: str = Field(examples=["alice"], description="The account's username.")
    api_key: str | None = Field(
        default=None, description="The name of the API key used (it acts as the account)."
    )
    role: str = Field(examples=["steward"])
    organisation_id: int | None = None
    scopes: list[str]


class AccountCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "gym-lyon-reader",
                    "password": "a long passphrase",
                    "role": "partner",
                    "organisation_id": 1,
                }
            ],
            # the cross-field rule, stated: a partner account names its organisation
            "anyOf": [
                {"properties": {"role": {"enum": ["admin", "steward", "analyst"]}}},
                {
                    "properties": {
                        "role": {"const": "partner"},
                        "organisation_id": {"type": "integer"},
                    },
                    "required": ["organisation_id"],
                },
            ],
        },
    )
    username: Annotated[
        str,
        StringConstraints(pattern=USERNAME_PATTERN, min_length=3, max_length=120),
        AfterValidator(normalise_username),
    ] = Field(
        description="3 to 120 ASCII letters, digits and . _ - @, starting and ending with a "
        "letter or digit; stored case-folded (`CX-Steward` is `cx-steward`, and taken when "
        "`cx-steward` is: 409). The platform's own names are refused (422): "
        + ", ".join(sorted(RESERVED))
        + ", and names starting with "
        + ", ".join(RESERVED_PREFIXES)
        + "."
    )
    password: text(256, 12) = Field(description="At least 12 characters.")
    role: Role
    organisation_id: Id | None = Field(
        default=None, description="Required for a partner (and only then meaningful)."
    )


class AccountUpdate(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"is_active": False}]}
    )
    password: text(256, 12) | None = None
    role: Role | None = None
    organisation_id: Id | None = None
    is_active: bool | None = None


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    role: str
    organisation_id: int | None
    is_active: bool
    created_at: UtcDateTime


class ApiKeyCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "bi-export", "account_id": 7}]},
    )
    name: text(120, 3)
    account_id: Id | None = Field(
        default=None,
        description="The account the key acts as (its role, organisation and four-eyes "
        "identity); default the calling admin. Give a machine client an account of its own.",
    )


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    account_id: int | None = Field(description="The account the key acts as.")
    created_at: UtcDateTime
    revoked_at: UtcDateTime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself: shown once, only its hash is stored.")
