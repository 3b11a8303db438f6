"""Use cases of dues membership: plans, joining and renewing, staff actions, the `dues_*`
inputs from fundraising, and the scheduler's time transitions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from members_service.domain.membership import (
    Due,
    Membership,
    MembershipNotFound,
    Payment,
    Plan,
    PlanNotFound,
    PlanRef,
    PlanTerms,
    check_eligibility,
    first_year_free,
)
from members_service.domain.model import MemberNotFound
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import MemberReader, MembersUnitOfWork
from servicekit.domain import utcnow
from servicekit.logging import get_logger
from servicekit.retry import is_write_conflict, retry_transient

Clock = Callable[[], datetime]
log = get_logger(__name__)


# -- commands and queries ----------------------------------------------------------------------

@dataclass(frozen=True)
class CreatePlan:
    tenant: str
    actor: Actor
    terms: PlanTerms


@dataclass(frozen=True)
class EditPlan:
    tenant: str
    actor: Actor
    plan_id: str
    terms: PlanTerms


@dataclass(frozen=True)
class RetirePlan:
    tenant: str
    actor: Actor
    plan_id: str


@dataclass(frozen=True)
class ListPlans:
    tenant: str
    actor: Actor
    include_retired: bool = False


@dataclass(frozen=True)
class GetPlan:
    tenant: str
    plan_id: str


@dataclass(frozen=True)
class JoinMembership:
    tenant: str
    actor: Actor
    plan_id: str
    member_id: str | None = None  # default: the actor's own


@dataclass(frozen=True)
class GetMembership:
    tenant: str
    actor: Actor
    member_id: str | None = None  # default: the actor's own


@dataclass(frozen=True)
class CancelMembership:
    tenant: str
    actor: Actor
    member_id: str
    reason: str


@dataclass(frozen=True)
class CertifyMembership:
    tenant: str
    actor: Actor
    language: str
    member_id: str | None = None  # default: the actor's own


@dataclass(frozen=True)
class Certified:
    """What a membership certificate states, as of `now`."""

    member_name: str
    membership: Membership
    language: str
    now: datetime


# -- plans --------------------------------------------------------------------------------------

async def create_plan(cmd: CreatePlan, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Plan:
    cmd.actor.require_staff("creates plans")
    async with uow:
        plan = Plan.create(cmd.tenant, cmd.terms, clock())
        await uow.membership_plans.add(plan)
        await uow.commit()
    return plan


async def _plan(uow: MembersUnitOfWork, tenant: str, plan_id: str) -> Plan:
    plan = await uow.membership_plans.get(tenant, plan_id)
    if plan is None:
        raise PlanNotFound(plan_id)
    return plan


async def edit_plan(cmd: EditPlan, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Plan:
    """A new revision; memberships keep the terms they bought until they renew."""
    cmd.actor.require_staff("edits plans")
    async with uow:
        plan = await _plan(uow, cmd.tenant, cmd.plan_id)
        plan.edit(cmd.terms, clock())
        await uow.membership_plans.save(plan)
        await uow.commit()
    return plan


async def retire_plan(cmd: RetirePlan, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Plan:
    cmd.actor.require_staff("retires plans")
    async with uow:
        plan = await _plan(uow, cmd.tenant, cmd.plan_id)
        plan.retire(clock())
        await uow.membership_plans.save(plan)
        await uow.commit()
    return plan


async def list_plans(query: ListPlans, uow: MembersUnitOfWork) -> list[Plan]:
    async with uow:
        return await uow.membership_plans.list(query.tenant, query.include_retired and query.actor.staff)


async def get_plan(query: GetPlan, uow: MembersUnitOfWork) -> Plan:
    async with uow:
        return await _plan(uow, query.tenant, query.plan_id)


# -- memberships --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Joined:
    membership: Membership
    due: Due | None  # None: nothing to pay (a free-year rule activated it)


def _target(actor: Actor, member_id: str | None) -> str:
    """The member acted on: the actor's own, or (staff) the one named."""
    if member_id is not None and member_id != actor.member_id:
        actor.require_staff("acts on another member's membership")
        return member_id
    if actor.member_id is None:
        raise MemberNotFound("this account is not linked to a member")
    return actor.member_id


async def join_membership(cmd: JoinMembership, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Joined:
    """Join (or renew, or rejoin) on a plan: the membership waits for payment — the gateway
    then asks fundraising for a checkout of `due`. Eligibility is checked on joining a plan;
    a retired plan takes no new members but its members renew on it."""
    now = clock()
    tenant = cmd.tenant
    async with uow:
        target = _target(cmd.actor, cmd.member_id)
        member = await uow.members.get(tenant, target)
        if member is None:
            raise MemberNotFound(target)
        plan = await _plan(uow, tenant, cmd.plan_id)
        existing = await uow.dues_memberships.of_member(tenant, target)
        years = [e.graduation_year for e in member.education]
        on_plan = existing is not None and existing.plan.plan_id == plan.id
        if plan.retired and not on_plan:
            raise PlanNotFound(f"{cmd.plan_id} is retired")
        if not on_plan:
            check_eligibility(plan.terms, years, now.date())
        ref = PlanRef(plan.id, plan.revision, plan.terms)
        if existing is None:
            membership = Membership.join(tenant, target, ref, now,
                                         free_first_year=first_year_free(plan.terms, years, now.date(), False))
        else:
            membership = existing
            membership.renew(ref, now)
        await uow.dues_memberships.save(membership)
        await uow.commit()
    return Joined(membership, membership.due)


async def get_membership(query: GetMembership, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Membership:
    """One's own, or anyone's for staff. Shown as of now (a transition the scheduler has not
    run yet is shown as it will be; the stored one follows at its next run)."""
    async with uow:
        target = _target(query.actor, query.member_id)
        membership = await uow.dues_memberships.of_member(query.tenant, target)
    if membership is None:
        raise MembershipNotFound(target)
    membership.advance(clock())
    return membership


async def certify_membership(query: CertifyMembership, uow: MembersUnitOfWork, reader: MemberReader,
                             clock: Clock = utcnow) -> Certified:
    """What the certificate states: the member's name and membership as of now (the adapter
    renders it; it refuses a membership with nothing to certify)."""
    now = clock()
    membership = await get_membership(GetMembership(query.tenant, query.actor, query.member_id), uow,
                                      clock=lambda: now)
    member = await reader.get(query.tenant, membership.member_id)
    if member is None:
        raise MemberNotFound(membership.member_id)
    first, last = member.display_names()
    return Certified(f"{first} {last}", membership, query.language, now)


async def cancel_membership(cmd: CancelMembership, uow: MembersUnitOfWork, clock: Clock = utcnow) -> Membership:
    cmd.actor.require_staff("cancels memberships")
    async with uow:
        membership = await uow.dues_memberships.of_member(cmd.tenant, cmd.member_id)
        if membership is None:
            raise MembershipNotFound(cmd.member_id)
        now = clock()
        membership.advance(now)
        membership.cancel(cmd.actor.subject, cmd.reason, now)
        await uow.dues_memberships.save(membership)
        await uow.commit()
    return membership


# -- inputs from fundraising (consumers of dues_*) ---------------------------------------------

async def _for_payment(uow: MembersUnitOfWork, tenant: str, membership_id: str, member_id: str) -> Membership:
    membership = await uow.dues_memberships.get(tenant, membership_id)
    if membership is None or membership.member_id != member_id:
        raise MembershipNotFound(membership_id)
    return membership


async def on_dues_paid(tenant: str, membership_id: str, member_id: str, payment: Payment, uow: MembersUnitOfWork,
                       clock: Clock = utcnow) -> bool:
    async with uow:
        membership = await _for_payment(uow, tenant, membership_id, member_id)
        applied = membership.apply_payment(payment, clock())
        await uow.dues_memberships.save(membership)
        await uow.commit()
    if not applied:
        log.warning("dues payment not applied", membership_id=membership_id, payment_id=payment.payment_id,
                    unapplied=[p.note for p in membership.unapplied_payments if p.payment_id == payment.payment_id])
    return applied


async def on_dues_payment_failed(tenant: str, membership_id: str, member_id: str, payment_id: str, reason: str,
                                 failed_at: datetime, instalment: int | None, uow: MembersUnitOfWork,
                                 clock: Clock = utcnow) -> None:
    async with uow:
        membership = await _for_payment(uow, tenant, membership_id, member_id)
        membership.apply_failure(payment_id, reason, failed_at, instalment, clock())
        await uow.dues_memberships.save(membership)
        await uow.commit()


async def on_dues_refunded(tenant: str, membership_id: str, member_id: str, payment_id: str, amount_minor: int,
                           refunded_at: datetime, uow: MembersUnitOfWork, clock: Clock = utcnow) -> bool:
    async with uow:
        membership = await _for_payment(uow, tenant, membership_id, member_id)
        known = membership.apply_refund(payment_id, amount_minor, refunded_at, clock())
        await uow.dues_memberships.save(membership)
        await uow.commit()
    if not known:
        log.warning("refund of a payment the membership does not know", membership_id=membership_id,
                    payment_id=payment_id)
    return known


# -- the scheduler ------------------------------------------------------------------------------

async def advance_due_memberships(uow_factory: Callable[[], MembersUnitOfWork], clock: Clock = utcnow,
                                  batch: int = 500, max_batches: int | None = None, window: int = 100) -> int:
    """Run the time rules of every membership whose deadline passed, a batch per transaction
    (the memberships, their events in the outbox: all or nothing). Catches up whatever the
    downtime: a membership due twice over (grace ended too) takes both transitions, dated
    when they were due. A batch that lost a race (a payment, another replica) runs again; the
    memberships no longer due are then skipped. Returns the number of memberships changed.

    Due keys are read `window` batches at a time: on the stand-in, a read of due keys scans every
    due index entry whatever its limit, so reading them per batch made a sweep quadratic (at
    100,000 due, 67 s a batch of 500)."""
    changed = 0
    batches = 0
    while True:
        now = clock()
        async with uow_factory() as uow:
            keys = await uow.dues_memberships.due(now, batch * window)
        if not keys:
            return changed
        moved_in_window = 0
        for start in range(0, len(keys), batch):
            if max_batches is not None and batches >= max_batches:
                return changed
            batches += 1
            # Run again on a lost race (another replica, a payment): reloaded, a membership already
            # moved has nothing left to do, so nothing is done twice.
            moved = await retry_transient(partial(_advance_batch, uow_factory, keys[start:start + batch], now),
                                          retry_if=is_write_conflict)
            changed += moved
            moved_in_window += moved
        if len(keys) < batch * window or moved_in_window == 0:
            return changed


async def _advance_batch(uow_factory: Callable[[], MembersUnitOfWork], keys: list[tuple[str, str]],
                         now: datetime) -> int:
    async with uow_factory() as uow:
        memberships = await uow.dues_memberships.get_many(keys)
        moved = [m for m in memberships if m.advance(now)]
        await uow.dues_memberships.save_many(moved)
        await uow.commit()
    return len(moved)


async def erase_memberships(tenant: str, member_id: str, uow: MembersUnitOfWork) -> int:
    """GDPR erasure: the membership goes (the payments' accounting records live in fundraising)."""
    async with uow:
        deleted = await uow.dues_memberships.delete_of_member(tenant, member_id)
        await uow.commit()
    return deleted


HANDLERS = (create_plan, edit_plan, retire_plan, list_plans, get_plan, join_membership, get_membership,
            cancel_membership, certify_membership)
