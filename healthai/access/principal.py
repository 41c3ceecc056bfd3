"""Who acts: always a person's account. An API key acts as the account that owns it, so
every rule (roles, partner confinement, four eyes) is about people, never about names."""

from __future__ import annotations

from dataclasses import dataclass

from healthai.access.roles import CONFINED_ROLE, scopes_of


class Actor(str):
    """Who acts, as the audit trail names them: the name (this string: `decided_by`, messages
    and logs take it as is) and, for a person, the account behind it (`account_id`; None for
    the pipeline and other automatic actors). Four eyes compares accounts, never names."""

    account_id: int | None

    def __new__(cls, name: str, account_id: int | None = None) -> Actor:
        actor = super().__new__(cls, name[:120])
        actor.account_id = account_id
        return actor

    @property
    def name(self) -> str:
        return str(self)


PIPELINE = Actor("pipeline")


def account_of(actor: str) -> int | None:
    """The account behind `actor` (None for a plain name: an automatic actor)."""
    return getattr(actor, "account_id", None)


def actor_columns(actor: str) -> dict[str, object]:
    """The `audit_log` columns naming `actor`: `AuditLog(**actor_columns(actor), ...)`."""
    return {"actor": str(actor)[:120], "actor_account_id": account_of(actor)}


@dataclass(frozen=True)
class Principal:
    """The caller of the API or the user of the web interface."""

    account_id: int
    username: str
    role: str
    organisation_id: int | None
    api_key: str | None = None  # the name of the API key used; None when signed in

    @property
    def kind(self) -> str:
        return "api_key" if self.api_key is not None else "account"

    @property
    def scopes(self) -> frozenset[str]:
        return scopes_of(self.role)

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def tenant(self) -> int | None:
        """The partner rule, written once: a partner sees only its own organisation's members
        (None: no confinement)."""
        return self.organisation_id if self.role == CONFINED_ROLE else None

    def organisation_scope(self, requested: int | None) -> int | None:
        """The organisation a query is confined to: a partner's own whatever it asked for,
        else what was asked (None: every organisation)."""
        return self.tenant if self.tenant is not None else requested

    @property
    def actor(self) -> Actor:
        """How audit entries and logs name this caller: the account, and the key if one was
        used (`alice (api-key:bi)`)."""
        name = self.username
        if self.api_key is not None:
            name = f"{name} (api-key:{self.api_key})"
        return Actor(name, self.account_id)
