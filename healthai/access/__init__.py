"""The access policy, one piece of code for the API and the web interface: roles and scopes,
the principal (a person's account; an API key acts as the account that owns it), sign-in
(password, rate limits, tokens), partner confinement (`Principal.tenant`), four eyes between
two people, the personal-data access log, and the secrets they rest on.

    from healthai import access
    principal = access.authenticate_token(session, settings, token)
    if not principal.can("people:read"): ...
"""

from healthai.access.access_log import log_personal_access, log_personal_read
from healthai.access.authenticate import (
    AccountState,
    NotAuthenticated,
    account_state,
    authenticate_api_key,
    authenticate_token,
    revoke_session,
    revoke_tokens,
    session_revoked,
    state_of,
    verify_token,
)
from healthai.access.clients import client_address
from healthai.access.four_eyes import check_four_eyes
from healthai.access.keys import API_KEY_PREFIX, hash_api_key, new_api_key
from healthai.access.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from healthai.access.passwords import hash_password, verify_password
from healthai.access.principal import PIPELINE, Actor, Principal, account_of, actor_columns
from healthai.access.ratelimit import RateLimited
from healthai.access.roles import CONFINED_ROLE, ROLE_SCOPES, ROLES, SCOPES, scopes_of
from healthai.access.secret_keys import InsecureSecrets, check_secrets, ensure_secrets
from healthai.access.signin import (
    BAD_CREDENTIALS,
    BadCredentials,
    TokenPair,
    access_token,
    extend_session,
    issue_tokens,
    rotate,
    session_expiry,
    sign_in,
    sign_out,
    sign_out_everywhere,
)
from healthai.access.tokens import create_token, decode_token, session_of, subject_id
from healthai.access.usernames import InvalidUsername, normalise_username

__all__ = [
    "API_KEY_PREFIX",
    "BAD_CREDENTIALS",
    "CONFINED_ROLE",
    "MIN_PASSWORD_LENGTH",
    "PIPELINE",
    "ROLES",
    "ROLE_SCOPES",
    "SCOPES",
    "AccountState",
    "Actor",
    "BadCredentials",
    "InsecureSecrets",
    "InvalidUsername",
    "NotAuthenticated",
    "Principal",
    "RateLimited",
    "TokenPair",
    "access_token",
    "account_of",
    "account_state",
    "actor_columns",
    "authenticate_api_key",
    "authenticate_token",
    "check_four_eyes",
    "check_secrets",
    "client_address",
    "create_token",
    "decode_token",
    "ensure_secrets",
    "extend_session",
    "hash_api_key",
    "hash_password",
    "issue_tokens",
    "log_personal_access",
    "log_personal_read",
    "new_api_key",
    "normalise_username",
    "revoke_session",
    "revoke_tokens",
    "rotate",
    "scopes_of",
    "session_expiry",
    "session_of",
    "session_revoked",
    "sign_in",
    "sign_out",
    "sign_out_everywhere",
    "state_of",
    "subject_id",
    "verify_password",
    "verify_token",
]
