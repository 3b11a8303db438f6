from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fundraising_service.domain.model import Donation, UnknownDonor
from fundraising_service.service_layer.commands import ProjectMember, RecordDonation
from fundraising_service.service_layer.ports import FundraisingUnitOfWork
from fundraising_service.service_layer.receipts import erase_receipt_donor
from servicekit.domain import utcnow
from servicekit.erasure import EraseMemberData
from servicekit.personal_data import pseudonym


async def record_donation(cmd: RecordDonation, uow: FundraisingUnitOfWork,
                          clock: Callable[[], datetime] = utcnow) -> str:
    async with uow:
        if not await uow.members.exists(cmd.tenant, cmd.member_id):
            # The member may be registered but not yet projected here (eventual consistency):
            # the message says so, and a retry a moment later succeeds.
            raise UnknownDonor(f"member {cmd.member_id} is not known to fundraising (yet)")
        donation = Donation.receive(tenant=cmd.tenant, member_id=cmd.member_id, amount=cmd.amount,
                                    campaign_id=cmd.campaign_id, now=clock())
        await uow.donations.add(donation)
        await uow.commit()
    return donation.id


async def project_member(cmd: ProjectMember, uow: FundraisingUnitOfWork) -> None:
    async with uow:
        await uow.members.apply(cmd)
        await uow.commit()


async def erase_donor(uow: FundraisingUnitOfWork, cmd: EraseMemberData) -> tuple[dict[str, int], dict[str, int]]:
    """The donor's identity goes; their donations, payments and checkouts stay under a
    pseudonym (accounting law)."""
    erased = {"members": await uow.members.erase(cmd.tenant, cmd.member_id)}
    alias = pseudonym(cmd.erasure_id)
    kept = {"donations": await uow.donations.pseudonymise(cmd.tenant, cmd.member_id, alias),
            "payments": await uow.payments.pseudonymise(cmd.tenant, cmd.member_id, alias),
            "checkouts": await uow.checkouts.pseudonymise(cmd.tenant, cmd.member_id, alias)}
    for name in ("gifts", "gift_intents", "recurring_gifts", "pledges", "campaigns"):  # gifts: donor identity and address go
        repository = getattr(uow, name, None)
        if repository is not None:
            kept[name] = await repository.pseudonymise(cmd.tenant, cmd.member_id, alias)
    # Receipts keep their numbers (the register stays gapless); the donor becomes the pseudonym.
    receipts = await erase_receipt_donor(uow, cmd.tenant, cmd.member_id, alias)
    kept["receipts"] = receipts["receipts"]
    erased["receipt_profiles"] = receipts["receipt_profiles"]
    return erased, kept
