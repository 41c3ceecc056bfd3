"""Four eyes between two people: whoever corrected rows of a batch may not approve it, and
neither may the account that created theirs, nor an account they created (an admin approving,
through a steward account they made, their own correction). People are compared by account;
an API key is its owner."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from healthai.access.principal import account_of
from healthai.models import ApiAccount, AuditLog, QuarantinedRow
from healthai.pipeline.errors import FourEyesError


def correctors(session: Session, batch_id: int) -> tuple[set[int], set[str]]:
    """The accounts, and the names, of whoever corrected quarantined rows re-queued into this
    batch (entries written before audit rows named accounts are matched to an account by
    username)."""
    corrected = select(QuarantinedRow.id).where(QuarantinedRow.requeued_batch_id == batch_id)
    rows = session.execute(
        select(AuditLog.actor, AuditLog.actor_account_id, ApiAccount.id)
        .outerjoin(ApiAccount, ApiAccount.username == AuditLog.actor)
        .where(
            AuditLog.entity == "quarantined_rows",
            AuditLog.action == "correct",
            AuditLog.entity_id.in_(corrected),
        )
    ).all()
    accounts = {account or by_name for _name, account, by_name in rows if (account or by_name)}
    return accounts, {name for name, _account, _by_name in rows}


def check_four_eyes(session: Session, approver: str, batch_id: int) -> None:
    """Raise `FourEyesError` when `approver` (an `Actor`) may not approve batch `batch_id`:
    its account corrected rows of the batch, or created the account that did, or was created
    by it. A name without an account (a tool, a test) is compared by name."""
    people, names = correctors(session, batch_id)
    me = account_of(approver)
    if me is None:
        if str(approver) in names:
            raise FourEyesError(_refused(approver, batch_id, "corrected rows of it"))
        return
    if not people:
        return
    linked = session.scalar(
        select(ApiAccount.id)
        .where(
            ApiAccount.id.in_(people),
            or_(
                ApiAccount.id == me,
                ApiAccount.created_by_id == me,
                ApiAccount.id
                == select(ApiAccount.created_by_id).where(ApiAccount.id == me).scalar_subquery(),
            ),
        )
        .limit(1)
    )
    if linked is not None:
        reason = (
            "its account corrected rows of it"
            if linked == me
            else "an account it created, or the account that created it, corrected rows of it"
        )
        raise FourEyesError(_refused(approver, batch_id, reason))


def _refused(approver: str, batch_id: int, reason: str) -> str:
    return f"{approver} cannot approve batch {batch_id}: {reason} (four eyes)"
