"""Admin only: API accounts (people) and API keys (machines)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from sqlalchemy import select

from api.deps import SessionDep, require
from api.errors import error_responses
from api.schemas.auth import (
    AccountCreate,
    AccountRead,
    AccountUpdate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
)
from api.writes import audit
from healthai import access
from healthai.access import Principal
from healthai.access.cache import forget_key
from healthai.models import ApiAccount, ApiKey, Organisation

router = APIRouter(tags=["accounts"], responses=error_responses(401, 403, 422))
ADMIN = "accounts:admin"
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _check_org(
    session: SessionDep, role: str, organisation_id: int | None, status: int = 422
) -> None:
    """A partner needs an organisation (422 for a new account, whose schema says so; 409 for
    a change, which the account's current organisation decides)."""
    if role == "partner" and organisation_id is None:
        raise HTTPException(status_code=status, detail="a partner needs an organisation_id")
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise HTTPException(status_code=409, detail=f"organisation {organisation_id} not found")


@router.get("/accounts", response_model=list[AccountRead], summary="List API accounts")
def list_accounts(session: SessionDep, principal: Annotated[Principal, require(ADMIN)]) -> Any:
    """Every API account with its role and organisation (never a password hash).
    Requires `accounts:admin`."""
    return list(session.scalars(select(ApiAccount).order_by(ApiAccount.id)))


@router.post(
    "/accounts",
    response_model=AccountRead,
    status_code=201,
    summary="Create an API account",
    description="A person with a role; the password is stored as an Argon2 hash, the "
    "username normalised (a name equal to an existing one after normalisation is a 409). The "
    "creating admin is recorded: four eyes never lets the two approve each other's work.",
    responses=error_responses(409),
)
def create_account(
    body: AccountCreate, session: SessionDep, principal: Annotated[Principal, require(ADMIN)]
) -> Any:
    _check_org(session, body.role, body.organisation_id)
    account = ApiAccount(
        username=body.username,
        password_hash=access.hash_password(body.password),
        role=body.role,
        organisation_id=body.organisation_id,
        is_active=True,
        created_by_id=principal.account_id,
    )
    session.add(account)
    session.flush()
    audit(
        session,
        principal.actor,
        "create",
        "api_accounts",
        account.id,
        None,
        {"username": account.username, "role": account.role},
    )
    session.commit()
    return account


@router.patch(
    "/accounts/{account_id}",
    response_model=AccountRead,
    summary="Change an API account",
    description="New password, role, organisation, or disable it (`is_active: false`). Any of "
    "these changes ends every session of the account: its refresh tokens are revoked at once "
    "and its access tokens refused (they carry the account's former token version), also "
    "after it is enabled again; API workers that authenticated the account in the last "
    "`AUTH_CACHE_TTL_S` seconds (default 5) refuse it at the latest when that delay is over.",
    responses=error_responses(404, 409),
)
def update_account(
    account_id: IdPath,
    body: AccountUpdate,
    session: SessionDep,
    principal: Annotated[Principal, require(ADMIN)],
) -> Any:
    account = session.get(ApiAccount, account_id)
    if account is None:
        raise HTTPException(status_code=404, detail=f"account {account_id} does not exist")
    changes = body.model_dump(exclude_unset=True)
    before = {k: getattr(account, k) for k in ("role", "organisation_id", "is_active")}
    new_password = "password" in changes
    if new_password:
        if changes["password"] is None:
            raise HTTPException(status_code=422, detail="password cannot be null")
        account.password_hash = access.hash_password(changes.pop("password"))
    for key in ("role", "is_active"):
        if key in changes and changes[key] is None:
            raise HTTPException(status_code=422, detail=f"{key} cannot be null")
    for key, value in changes.items():
        setattr(account, key, value)
    _check_org(session, account.role, account.organisation_id, status=409)
    if new_password or any(before[k] != getattr(account, k) for k in before):
        session.flush()
        access.revoke_tokens(session, account.id)
    audit(
        session,
        principal.actor,
        "update",
        "api_accounts",
        account.id,
        None,
        {k: v for k, v in changes.items()},
    )
    session.commit()
    return account


@router.get("/api-keys", response_model=list[ApiKeyRead], summary="List API keys")
def list_keys(session: SessionDep, principal: Annotated[Principal, require(ADMIN)]) -> Any:
    """Every API key by name, prefix and role (never the key).
    Requires `accounts:admin`."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    summary="Create an API key",
    description="For a machine client; the key acts as the account that owns it (`account_id`, "
    "default the calling admin): its role, its organisation, its four-eyes identity, and it "
    "stops working while that account is disabled. The key is returned once; only its SHA-256 "
    "is stored. Send it as `X-API-Key`.",
    responses=error_responses(409),
)
def create_key(
    body: ApiKeyCreate, session: SessionDep, principal: Annotated[Principal, require(ADMIN)]
) -> Any:
    owner_id = body.account_id or principal.account_id
    if session.get(ApiAccount, owner_id) is None:
        raise HTTPException(status_code=409, detail=f"account {owner_id} does not exist")
    key = access.new_api_key()
    row = ApiKey(
        name=body.name, prefix=key[:12], key_hash=access.hash_api_key(key), account_id=owner_id
    )
    session.add(row)
    session.flush()
    audit(
        session,
        principal.actor,
        "create",
        "api_keys",
        row.id,
        None,
        {"name": row.name, "account_id": owner_id},
    )
    session.commit()
    return ApiKeyCreated.model_validate({**ApiKeyRead.model_validate(row).model_dump(), "key": key})


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke an API key",
    responses=error_responses(404),
)
def revoke_key(
    key_id: IdPath, session: SessionDep, principal: Annotated[Principal, require(ADMIN)]
) -> Response:
    """The key stops working at once in the worker that answers, within `AUTH_CACHE_TTL_S`
    seconds (default 5) in every other; it stays listed with its revocation time.
    Requires `accounts:admin`."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"API key {key_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        audit(session, principal.actor, "revoke", "api_keys", row.id, None, None)
        session.commit()
        forget_key(row.key_hash)  # at once here; in other workers within AUTH_CACHE_TTL_S
    return Response(status_code=204)
