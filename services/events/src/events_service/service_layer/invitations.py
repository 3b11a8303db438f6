"""Invitations to a segment (issue 11 item 3): computed once, sent in batches.

`issue_invitations` (the staff command) evaluates the segment on this service's own audience
projection ONCE and stores the result as numbered batches of member ids (`invitation_batches`)
in the command's transaction, with the event's `invitations_issued`; it also sends the first
batch there. Every other batch is sent by the `invitations` sweep, each in a transaction of
its own: the batch's `invited` rows, one `member_invited` per invitee (outbox) and the batch
marked sent commit together, so a crash resumes at the first unsent batch and a batch is never
sent twice (the mark is conditional). A 5,000-member invitation is 25 transactions of 200, not
one of 5,000.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events_service.domain.model import Event, EventNotFound, EventStatus
from events_service.domain.registrations import Gathering, Registration
from events_service.service_layer.commands import IssueInvitations
from events_service.service_layer.ports import EventsUnitOfWork, InvitationBatch
from servicekit.domain import ConcurrencyConflict, utcnow

Clock = Callable[[], datetime]
BATCH_SIZE = 200


@dataclass(frozen=True)
class PreviewInvitations:
    tenant: str
    event_id: str
    segment: Any


@dataclass(frozen=True)
class InvitationsPreview:
    event_id: str
    count: int
    matching: int


@dataclass(frozen=True)
class SendPendingInvitations:
    """The sweep: send batches computed at least `grace_seconds` ago and not sent yet."""

    grace_seconds: float = 0.0
    limit: int = 10


def gathering(event: Event) -> Gathering:
    d = event.details
    return Gathering(title=d.title, title_en=d.title_en, starts_at=d.starts_at, ends_at=d.ends_at,
                     timezone=d.timezone, venue=d.venue or "", online_url=d.online_url)


def batches(member_ids: list[str], size: int = BATCH_SIZE) -> list[list[str]]:
    return [member_ids[i:i + size] for i in range(0, len(member_ids), size)]


async def _event(uow: EventsUnitOfWork, tenant: str, event_id: str) -> Event:
    event = await uow.events.get(tenant, event_id)
    if event is None:
        raise EventNotFound(f"no event {event_id}")
    return event


async def _invitees(uow: EventsUnitOfWork, tenant: str, event_id: str, segment: Any) -> tuple[list[str], int]:
    """Members of the segment without a row for this event (in the projection's order), and
    how many the segment matches."""
    matching = await uow.audience.member_ids(tenant, segment)
    known = await uow.registrations.members_with_rows(tenant, event_id, matching)
    return [m for m in matching if m not in known], len(matching)


async def send_batch(uow: EventsUnitOfWork, event: Event, batch: InvitationBatch, now: datetime) -> int:
    """One batch, in the caller's open unit of work: an `invited` row and a `member_invited`
    for each member still without a row (one who registered meanwhile is skipped), then the
    batch marked sent — conditionally, so two senders never both send it."""
    known = await uow.registrations.members_with_rows(batch.tenant, batch.event_id, list(batch.member_ids))
    g = gathering(event)
    rows = [Registration.invite(tenant=batch.tenant, event_id=batch.event_id, member_id=m, now=now, gathering=g)
            for m in batch.member_ids if m not in known]
    await uow.registrations.invite(rows)
    if not await uow.invitations.mark_sent(batch.tenant, batch.id, now):
        raise ConcurrencyConflict(f"invitation batch {batch.id} was sent meanwhile")
    return len(rows)


async def issue_invitations(cmd: IssueInvitations, uow: EventsUnitOfWork, clock: Clock = utcnow) -> Event:
    """Invite a segment: computed once on this service's audience projection — each member
    without a registration gets an `invited` one (which also lets them see an invitation-only
    event) and a `member_invited` (their email); a retry returns the first result; another
    segment is refused (409). Batches after the first are sent by the sweep."""
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        segment = cmd.segment.model_dump(mode="json", exclude_defaults=True)
        if event.invitations_already(segment):
            return event
        now = clock()
        invitees, _ = await _invitees(uow, cmd.tenant, event.id, cmd.segment)
        stored = await uow.invitations.add(cmd.tenant, event.id, batches(invitees), now)
        event.invitations_issued(segment, len(invitees), now)
        await uow.events.save(event)
        if stored:
            await send_batch(uow, event, stored[0], now)
        await uow.commit()
    return event


async def preview_invitations(cmd: PreviewInvitations, uow: EventsUnitOfWork) -> InvitationsPreview:
    """How many the segment would invite now (the console shows it before sending)."""
    async with uow:
        event = await _event(uow, cmd.tenant, cmd.event_id)
        invitees, matching = await _invitees(uow, cmd.tenant, event.id, cmd.segment)
        return InvitationsPreview(event.id, len(invitees), matching)


async def send_pending_invitations(cmd: SendPendingInvitations, uow_factory: Callable[[], EventsUnitOfWork],
                                   clock: Clock = utcnow) -> int:
    """The sweep: each pending batch in its own transaction; returns the invitees written."""
    uow = uow_factory()
    async with uow:
        pending = await uow.invitations.pending(clock() - timedelta(seconds=cmd.grace_seconds), cmd.limit)
    sent = 0
    for batch in pending:
        uow = uow_factory()
        try:
            async with uow:
                event = await uow.events.get(batch.tenant, batch.event_id)
                if event is None or event.status in (EventStatus.CANCELLED, EventStatus.COMPLETED):
                    await uow.invitations.mark_sent(batch.tenant, batch.id, clock())  # nothing to invite to
                else:
                    sent += await send_batch(uow, event, batch, clock())
                await uow.commit()
        except ConcurrencyConflict:
            continue  # another sender took it (or a member registered meanwhile): the next sweep sees
    return sent
