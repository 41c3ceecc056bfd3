"""Roles and the scopes they grant: every API route and every page of the web interface
states the scope it needs, and anything a role is not granted is refused (default deny)."""

from __future__ import annotations

from healthai.models.accounts import ROLES

__all__ = ["CONFINED_ROLE", "ROLES", "ROLE_SCOPES", "SCOPES", "scopes_of"]

SCOPES: dict[str, str] = {
    "catalogue:read": "Read foods, recipes and exercises.",
    "catalogue:write": "Create, change and delete foods, recipes and exercises.",
    "organisations:read": "Read organisations (a partner: only its own).",
    "organisations:write": "Create, change and delete organisations.",
    "people:read": "Read users and their logs and measurements (a partner: only its members).",
    "people:write": "Create and change users and their logs and measurements.",
    "people:erase": "Erase a user and all their data (RGPD).",
    "batches:read": "Read batches, their checks and sample rows.",
    "batches:decide": "Approve, reject, publish and roll back batches.",
    "quarantine:read": "Read quarantined rows.",
    "quarantine:correct": "Correct or discard quarantined rows.",
    "exports:read": "Export published tables (user identifiers pseudonymised).",
    "exports:identified": "Export with real user identifiers.",
    "analytics:read": "Read analytics (a partner: only its members).",
    "accounts:admin": "Manage API accounts and API keys.",
}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "steward": frozenset(
        {
            "catalogue:read",
            "catalogue:write",
            "organisations:read",
            "people:read",
            "people:write",
            "batches:read",
            "batches:decide",
            "quarantine:read",
            "quarantine:correct",
            "exports:read",
            "analytics:read",
        }
    ),
    "analyst": frozenset(
        {"catalogue:read", "organisations:read", "batches:read", "exports:read", "analytics:read"}
    ),
    "partner": frozenset({"catalogue:read", "organisations:read", "people:read", "analytics:read"}),
}

# The role whose accounts are confined to one organisation (its members only).
CONFINED_ROLE = "partner"


def scopes_of(role: str) -> frozenset[str]:
    """The scopes `role` grants (none for an unknown role)."""
    return ROLE_SCOPES.get(role, frozenset())
