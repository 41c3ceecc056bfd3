"""Fixtures of the security suite: a seeded app per engine (the API suite's), and servers."""

from __future__ import annotations

from tests.api.conftest import env  # noqa: F401 - the API suite's app and accounts, per engine
