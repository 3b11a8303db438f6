"""Use cases of the members service: plain functions over a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from members_service.domain.consent import ConsentRecord
from members_service.domain.directory import DirectoryCard, directory_card
from members_service.domain.erasure import Erasure, ErasureNotFound
from members_service.domain.model import EmailAlreadyRegistered, Member, MemberNotFound, NotAllowed
from members_service.domain.profile import normalize_email
from members_service.domain.sectors import SectorList
from members_service.domain.showcase import PublicShowcase
from members_service.service_layer.commands import (
    Actor,
    AppointAmbassador,
    ConfirmDeceased,
    ConfirmErasure,
    GetConsents,
    GetErasure,
    GetMember,
    GetSectors,
    ListMembers,
    PublicShowcaseQuery,
    RegisterMember,
    RequestErasure,
    RevokeAmbassador,
    SearchDirectory,
    SetConsent,
    SetSectors,
    SetShowcase,
    SuggestDeceased,
    UpdateProfile,
)
from members_service.service_layer.contract_mapping import NAMING_THE_ERASED
from members_service.service_layer.ports import DirectorySearch, MemberReader, MembersUnitOfWork
from servicekit.domain import ConcurrencyConflict, utcnow
from servicekit.logging import get_logger
from servicekit.personal_data import subject_hash

log = get_logger(__name__)

Clock = Callable[[], datetime]


async def register_member(cmd: RegisterMember, uow: MembersUnitOfWork, clock: Clock = utcnow) -> str:
    async with uow:
        existing = await uow.members.by_email(cmd.tenant, normalize_email(cmd.email))
        if existing is not None:
            raise EmailAlreadyRegistered(cmd.email, existing.id)
        member = Member.register(tenant=cmd.tenant, first_name=cmd.first_name, last_name=cmd.last_name,
                                 email=cmd.email, locale=cmd.locale, cohort=cmd.cohort, now=clock())
        await uow.members.add(member)
        await uow.groups.ensure_cohort_groups(cmd.tenant, {cmd.cohort}, member.registered_at or clock())
        await uow.commit()
    return member.id


async def get_member(query: GetMember, reader: MemberReader) -> Member:
    # An alumnus reads their own full record only; another member's record is "not found"
    # rather than "forbidden" so that ids cannot be probed (the directory shows the rest).
    if not query.actor.may_act_on(query.member_id):
        raise MemberNotFound(query.member_id)
    member = await reader.get(query.tenant, query.member_id)
    if member is None:
        raise MemberNotFound(query.member_id)
    return member


async def list_members(query: ListMembers, reader: MemberReader) -> tuple[list[Member], str | None]:
    page = await reader.page(query.tenant, query.limit + 1, query.after, newest_first=query.newest_first,
                             name_prefix=query.name_prefix)
    more = len(page) > query.limit
    page = page[: query.limit]
    return page, (page[-1].id if more and page else None)


async def _load_for_change(uow: MembersUnitOfWork, tenant: str, member_id: str, actor: Actor) -> Member:
    if not actor.may_act_on(member_id):
        raise MemberNotFound(member_id)
    member = await uow.members.get(tenant, member_id)
    if member is None:
        raise MemberNotFound(member_id)
    return member


async def update_profile(cmd: UpdateProfile, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    if not cmd.actor.staff and (cmd.email_bounced is not None or cmd.mail_returned is not None):
        raise NotAllowed("only the alumni office records bounces and returned mail")
    async with uow:
        member = await _load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        if member.version != cmd.expected_version:
            raise ConcurrencyConflict(
                f"member {member.id} is at version {member.version}, not {cmd.expected_version}: reload and retry")
        now = clock()
        if cmd.changes.emails is not None:
            primary = next((e.address for e in cmd.changes.emails if e.primary), None)
            if primary is not None:
                owner = await uow.members.by_email(cmd.tenant, normalize_email(primary))
                if owner is not None and owner.id != member.id:
                    raise EmailAlreadyRegistered(primary, owner.id)
        if cmd.changes.career is not None:
            sectors = await uow.settings.sectors(cmd.tenant)
            sectors.check({p.sector for p in cmd.changes.career if p.sector}
                          - {p.sector for p in member.career if p.sector})  # codes already held stay valid
        member.update_profile(cmd.changes, now, by_member=cmd.actor.member_id == member.id)
        if cmd.changes.education is not None:
            await uow.groups.ensure_cohort_groups(cmd.tenant, {e.cohort for e in member.education}, now)
        if cmd.visibility:
            member.set_visibility(cmd.visibility)
        member.set_contactability(email_bounced=cmd.email_bounced, mail_returned=cmd.mail_returned, now=now)
        await uow.members.save(member)
        await uow.commit()
    return member


async def _change(uow: MembersUnitOfWork, tenant: str, member_id: str, change: Callable[[Member], None]) -> Member:
    """Load any member of the tenant, apply one domain change, save, commit (the caller
    checked who may make it)."""
    async with uow:
        member = await uow.members.get(tenant, member_id)
        if member is None:
            raise MemberNotFound(member_id)
        change(member)
        await uow.members.save(member)
        await uow.commit()
    return member


async def suggest_deceased(cmd: SuggestDeceased, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    """Anyone of the tenant may suggest it; it changes nothing visible until a manager confirms."""
    return await _change(uow, cmd.tenant, cmd.member_id, lambda m: m.suggest_deceased(cmd.actor.subject, clock()))


async def confirm_deceased(cmd: ConfirmDeceased, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    cmd.actor.require_staff("confirms a death")
    return await _change(uow, cmd.tenant, cmd.member_id, lambda m: m.confirm_deceased(clock()))


async def set_consent(cmd: SetConsent, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    async with uow:
        member = await _load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        member.record_consent(ConsentRecord(
            purpose=cmd.purpose, granted=cmd.granted, text_version=cmd.text_version, language=cmd.language,
            channel=cmd.channel, actor=cmd.actor.subject, actor_role=cmd.actor.role, at=clock(), scope=cmd.scope))
        await uow.members.save(member)
        await uow.commit()
    return member


async def consent_ledger(tenant: str, member_id: str, actor: Actor, reader: MemberReader
                         ) -> tuple[Member, list[ConsentRecord]]:
    if not actor.may_act_on(member_id):
        raise MemberNotFound(member_id)
    member = await reader.get(tenant, member_id)
    if member is None:
        raise MemberNotFound(member_id)
    return member, await reader.consent_history(tenant, member_id)


async def get_consents(query: GetConsents, reader: MemberReader) -> tuple[Member, list[ConsentRecord]]:
    return await consent_ledger(query.tenant, query.member_id, query.actor, reader)


async def record_consent(cmd: SetConsent, uow: MembersUnitOfWork, reader: MemberReader,
                         clock: Clock = utcnow) -> tuple[Member, list[ConsentRecord]]:
    """Set a consent and answer with the member's ledger."""
    member = await set_consent(cmd, uow, clock)
    return await consent_ledger(cmd.tenant, member.id, cmd.actor, reader)


async def get_sectors(query: GetSectors, reader: MemberReader) -> SectorList:
    return await reader.sectors(query.tenant)


async def search_directory(query: SearchDirectory, directory: DirectorySearch
                           ) -> tuple[list[DirectoryCard], str | None]:
    """Cards shaped for the viewer, and the cursor of the next page: after the last card when
    there is more, or where the reader stopped when it returned a partial page."""
    found, resume_after = await directory.search(replace(query, limit=query.limit + 1))
    more = len(found) > query.limit
    found = found[: query.limit]
    cards = [directory_card(member, query.viewer) for _, member in found]
    if more:
        return cards, found[-1][0]
    return cards, resume_after


async def set_showcase(cmd: SetShowcase, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    """The alumnus (or the office, on their behalf) writes the showcase text; it is published
    only while a showcase consent covers it."""
    async with uow:
        member = await _load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        member.set_showcase(cmd.showcase, clock())
        await uow.members.save(member)
        await uow.commit()
    return member


async def public_showcase(query: PublicShowcaseQuery, reader: MemberReader, clock: Clock = utcnow
                          ) -> list[PublicShowcase]:
    """Entries consented for this channel and not expired *now* — expiry takes effect at once,
    before the sweeper has unpublished them."""
    now = clock()
    return [e for e in await reader.published_showcases(query.tenant)
            if query.channel in e.channels and now < e.expires_at]


async def expire_showcases(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader,
                           clock: Clock = utcnow, batch: int = 100) -> int:
    """Unpublish entries whose consent expired (emits `showcase_unpublished`); returns how many."""
    done = 0
    for tenant, member_id in await reader.showcases_expiring(clock(), batch):
        uow = uow_factory()
        async with uow:
            member = await uow.members.get(tenant, member_id)
            if member is None:
                continue
            member.expire_showcase(clock())
            await uow.members.save(member)
            await uow.commit()
        done += 1
    return done


async def appoint_ambassador(cmd: AppointAmbassador, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    cmd.actor.require_staff("appoints ambassadors")
    return await _change(uow, cmd.tenant, cmd.member_id,
                         lambda m: m.appoint_ambassador(cmd.scope, cmd.actor.subject, clock()))


async def revoke_ambassador(cmd: RevokeAmbassador, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Member:
    cmd.actor.require_staff("revokes ambassadors")
    return await _change(uow, cmd.tenant, cmd.member_id, lambda m: m.revoke_ambassador(cmd.actor.subject, clock()))


async def set_sectors(cmd: SetSectors, uow: MembersUnitOfWork) -> SectorList:
    cmd.actor.require_staff("edits the sector list")
    async with uow:
        current = await uow.settings.sectors(cmd.tenant)
        if current.version != cmd.expected_version:
            raise ConcurrencyConflict(
                f"the sector list is at version {current.version}, not {cmd.expected_version}: reload and retry")
        updated = SectorList(cmd.sectors, current.version + 1)
        await uow.settings.save_sectors(cmd.tenant, updated)
        await uow.commit()
    return updated


async def request_erasure(cmd: RequestErasure, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Erasure:
    """Members erases its records now (the member disappears from the directory, the showcase
    and every list at once) and asks every other service to erase theirs."""
    async with uow:
        member = await _load_for_change(uow, cmd.tenant, cmd.member_id, cmd.actor)
        now = clock()
        erasure = Erasure.request(tenant=cmd.tenant, member_id=member.id,
                                  member_ref=subject_hash(cmd.tenant, member.id), by_role=cmd.actor.role,
                                  confirmers=cmd.confirmers, now=now, deadline_days=cmd.deadline_days)
        member.erase(now)
        # Each slice erases its own records, in this one transaction.
        await uow.members.delete(member)
        await uow.memberships.erase_member(member.tenant, member.id)
        await uow.import_rows.erase_member(member)
        await uow.directory.forget(member)
        await uow.dues_memberships.delete_of_member(cmd.tenant, member.id)  # payments: fundraising pseudonymises
        await uow.erasures.add(erasure)
        await uow.commit()
    log.info("erasure requested", erasure_id=erasure.id, deadline=str(erasure.deadline))
    return erasure


async def confirm_erasure(cmd: ConfirmErasure, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Erasure:
    """One service confirmed. With the last one, members also scrubs its own delivery records
    (by then the events it published about the member are sent) and publishes `member_erased`."""
    async with uow:
        erasure = await uow.erasures.get(cmd.tenant, cmd.erasure_id)
        if erasure is None:
            raise ErasureNotFound(cmd.erasure_id)
        member_id = erasure.member_id
        erasure.confirm(cmd.service, clock())
        if erasure.completed_at is not None and member_id is not None:
            await uow.scrub_member(cmd.tenant, member_id, NAMING_THE_ERASED)
        await uow.erasures.save(erasure)
        await uow.commit()
    if erasure.completed_at is not None:
        log.info("erasure completed", erasure_id=erasure.id)
    return erasure


async def get_erasure(query: GetErasure, uow: MembersUnitOfWork) -> Erasure:
    """Staff read any erasure of their tenant; an alumnus only their own."""
    async with uow:
        erasure = await uow.erasures.get(query.tenant, query.erasure_id)
    mine = query.actor.member_id is not None and erasure is not None \
        and erasure.member_ref == subject_hash(query.tenant, query.actor.member_id)
    if erasure is None or not (query.actor.staff or mine):
        raise ErasureNotFound(query.erasure_id)
    return erasure


async def watch_erasure_deadlines(reader: MemberReader, clock: Clock = utcnow) -> int:
    """Log every erasure past its deadline (ops alert on it); returns how many."""
    late = await reader.overdue_erasures(clock())
    for tenant, erasure_id in late:
        log.error("erasure overdue", tenant=tenant, erasure_id=erasure_id)
    return len(late)
