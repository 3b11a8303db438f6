"""What notifications learns from email and members records: an unsubscribe from an email's
one-click link (or a spam complaint) is a consent withdrawal in the ledger; an address that
bounces for good sets the member's `email_bounced` hygiene flag."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.service_layer.ports import MembersUnitOfWork
from servicekit.domain import utcnow
from servicekit.logging import get_logger

log = get_logger(__name__)
Clock = Callable[[], datetime]


async def withdraw_from_email(tenant: str, member_id: str, purpose: str, language: str, source: str,
                              at: datetime, uow: MembersUnitOfWork) -> bool:
    """Record the withdrawal as the member's own act through the email channel; a member
    unknown or erased here, or a purpose this ledger does not keep, changes nothing."""
    try:
        which = Purpose(purpose)
    except ValueError:
        return False
    async with uow:
        member = await uow.members.get(tenant, member_id)
        if member is None:
            log.info("unsubscribe for an unknown member ignored", member_id=member_id)
            return False
        current = member.consents.get(which)
        member.record_consent(ConsentRecord(
            purpose=which, granted=False, text_version=current.text_version if current else f"{purpose}-unsubscribe",
            language=language, channel=Channel.EMAIL, actor=f"email:{source}", actor_role="alumnus", at=at))
        await uow.members.save(member)
        await uow.commit()
    return True


async def flag_bounced(tenant: str, member_id: str, email: str, uow: MembersUnitOfWork, clock: Clock = utcnow) -> bool:
    """Set `email_bounced` if the bouncing address is still the member's (a new one is clean)."""
    async with uow:
        member = await uow.members.get(tenant, member_id)
        if member is None or member.email.casefold() != email.casefold():
            return False
        member.set_contactability(email_bounced=True, mail_returned=None, now=clock())
        await uow.members.save(member)
        await uow.commit()
    return True
