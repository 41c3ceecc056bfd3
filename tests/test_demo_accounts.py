"""`make run`'s demo accounts: one per role, random passwords kept in var/, never reset."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from healthai import cli
from healthai.access import verify_password
from healthai.models import ApiAccount, Organisation
from healthai.settings import get_settings
from tests.pipeline_helpers import session_for


@pytest.mark.parametrize("engine", ["sqlite"])
def test_demo_accounts_sign_in_with_the_written_passwords(engine: str, platform: str) -> None:
    with session_for(platform) as session:
        session.execute(insert(Organisation), [{"slug": "gym-a", "name": "Gym A", "kind": "gym"}])
    cli.main(["demo-accounts"])
    cli.main(["demo-accounts"])  # run again: nothing reset, nothing added
    lines = (get_settings().var_dir / cli.DEMO_ACCOUNTS_FILE).read_text().splitlines()
    assert len(lines) == 4
    with session_for(platform) as session:
        for line in lines:
            role, username, password = line.split()[:3]
            account = session.scalar(select(ApiAccount).where(ApiAccount.username == username))
            assert account.role == role
            assert verify_password(password, account.password_hash)
            assert len(password) >= 12
        partner = session.scalar(select(ApiAccount).where(ApiAccount.role == "partner"))
        assert partner.organisation_id is not None
