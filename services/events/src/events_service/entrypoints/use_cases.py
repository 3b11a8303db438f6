"""What the events service does over request/reply: its use cases, each declared once."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.events import commands as c
from alumni_contracts.events.v1 import Visibility as ContractVisibility
from alumni_contracts.rpc import ALUMNI_AND_STAFF, STAFF
from events_service.domain.model import Details, TicketType, Visibility
from events_service.domain.registrations import Registration, RegistrationStatus
from events_service.service_layer import commands as cmd
from events_service.service_layer.handlers import EventView
from events_service.service_layer.invitations import PreviewInvitations
from events_service.service_layer.registrations import Registered, RegistrationPage
from servicekit.authz import Ownership
from servicekit.bus import Caller, UseCase


def command(name: str) -> str:
    return naming.command_subject("events", name)


def query(name: str) -> str:
    return naming.query_subject("events", name)


def actor(who: Caller) -> cmd.Actor:
    return cmd.Actor(subject=who.subject, staff=who.staff, member_id=who.own_member_id)


def ticket_types(items: list[c.TicketTypeIn] | None) -> tuple[TicketType, ...]:
    return tuple(TicketType(id=t.id or f"type-{i + 1}", name=t.name, name_en=t.name_en,
                            member_price_minor=t.member_price_minor, non_member_price_minor=t.non_member_price_minor,
                            currency=t.currency, quota=t.quota, max_guests=t.max_guests, opens_at=t.opens_at,
                            closes_at=t.closes_at)
                 for i, t in enumerate(items or []))


def details(req: c.ScheduleEvent) -> Details:
    return Details(title_fr=req.title, title_en=req.title_en, starts_at=req.starts_at, ends_at=req.ends_at,
                   timezone=req.timezone, venue=req.venue, online_url=str(req.online_url) if req.online_url else None,
                   description_fr=req.description or "", description_en=req.description_en or "",
                   organiser=req.organiser or "", visibility=Visibility(req.visibility.value),
                   segment_id=req.segment_id, cancellation_policy=req.cancellation_policy or "",
                   capacity=req.capacity)


def schedule(req: c.ScheduleEvent, who: Caller) -> cmd.ScheduleEvent:
    return cmd.ScheduleEvent(tenant=who.tenant, title=req.title, starts_at=req.starts_at, ends_at=req.ends_at,
                             timezone=req.timezone, venue=req.venue, capacity=req.capacity, details=details(req),
                             ticket_types=ticket_types(req.ticket_types),
                             publish=req.status is c.EventStatus.PUBLISHED)


UPDATABLE = {"title": "title_fr", "title_en": "title_en", "description": "description_fr",
             "description_en": "description_en", "starts_at": "starts_at", "ends_at": "ends_at",
             "timezone": "timezone", "venue": "venue", "online_url": "online_url", "organiser": "organiser",
             "visibility": "visibility", "segment_id": "segment_id", "cancellation_policy": "cancellation_policy",
             "capacity": "capacity"}


def update(req: c.UpdateEvent, who: Caller) -> cmd.UpdateEventFields:
    changes: dict[str, Any] = {}
    for name in req.model_fields_set & set(UPDATABLE):
        value = getattr(req, name)
        if name == "online_url" and value is not None:
            value = str(value)
        if name == "visibility" and value is not None:
            value = Visibility(value.value)
        if value is None and name in ("description", "description_en", "organiser", "cancellation_policy", "venue"):
            value = ""
        changes[UPDATABLE[name]] = value
    return cmd.UpdateEventFields(tenant=who.tenant, event_id=req.event_id, changes=changes)


def event_out(view: EventView) -> c.EventOut:
    e, d = view.event, view.event.details
    return c.EventOut(
        event_id=e.id, status=c.EventStatus(e.status.value), title=d.title_fr, title_en=d.title_en,
        description=d.description_fr, description_en=d.description_en, starts_at=d.starts_at, ends_at=d.ends_at,
        timezone=d.timezone, venue=d.venue, online_url=d.online_url, organiser=d.organiser,
        visibility=ContractVisibility(d.visibility.value), segment_id=d.segment_id,
        cancellation_policy=d.cancellation_policy, capacity=d.capacity, seats_taken=view.seats_taken,
        seats_left=max(0, d.capacity - view.seats_taken),
        ticket_types=[c.TicketTypeOut(id=t.id, name=t.name, name_en=t.name_en,
                                      member_price_minor=t.member_price_minor,
                                      non_member_price_minor=t.non_member_price_minor, currency=t.currency,
                                      quota=t.quota, max_guests=t.max_guests, opens_at=t.opens_at,
                                      closes_at=t.closes_at, free=t.free) for t in e.ticket_types],
        cancelled_reason=e.cancelled_reason)


def registration_out(r: Registration) -> c.RegistrationOut:
    show_code = r.status in (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)
    return c.RegistrationOut(
        registration_id=r.id, event_id=r.event_id, member_id=r.member_id, status=c.RegistrationStatus(r.status.value),
        ticket_type_id=r.ticket_type_id, guests=r.guests, seats=r.seats, price_minor=r.price_minor,
        currency=r.currency, member_price=r.member_price, ticket_code=r.ticket_code if show_code else None,
        registered_at=r.registered_at, waitlisted_at=r.waitlisted_at, accept_by=r.accept_by, pay_by=r.pay_by,
        cancelled_at=r.cancelled_at, cancel_reason=r.cancel_reason, checked_in_at=r.checked_in_at)


def registered_out(result: Registered) -> c.RegistrationOut:
    out = registration_out(result.registration)
    return out.model_copy(update={"event_title": result.event.title, "event_starts_at": result.event.starts_at})


def registrations_out(items: list[Registration]) -> c.RegistrationList:
    return c.RegistrationList(items=[registration_out(r) for r in items])


def registration_page_out(page: RegistrationPage) -> c.RegistrationList:
    return c.RegistrationList(items=[registration_out(r) for r in page.items], next_cursor=page.next_cursor)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.SCHEDULE_EVENT), request=c.ScheduleEvent, roles=STAFF, idempotent=True,
            message=schedule, reply=lambda event_id: c.EventScheduledResult(event_id=event_id),
            description="Schedule a gathering (draft or published), with its ticket types."),
    UseCase(subject=command(c.UPDATE_EVENT), request=c.UpdateEvent, roles=STAFF, idempotent=True,
            message=update, reply=event_out, description="Change an event; registrants are told (event_updated)."),
    UseCase(subject=command(c.SET_TICKET_TYPES), request=c.SetTicketTypes, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.SetTicketTypes(who.tenant, req.event_id, ticket_types(req.ticket_types)),
            reply=event_out, description="Replace an event's ticket types (prices, quotas, guests, dates)."),
    UseCase(subject=command(c.ISSUE_INVITATIONS), request=c.IssueInvitations, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.IssueInvitations(who.tenant, req.event_id, req.segment),
            reply=lambda e: c.InvitationsResult(event_id=e.id, invited=e.invited_count,
                                                issued_at=e.invitations_issued_at, segment=e.invitation_segment or {}),
            description="Invite a segment to an event (computed once on the events service's own projection)."),
    UseCase(subject=query(c.PREVIEW_INVITATIONS), request=c.IssueInvitations, roles=STAFF,
            message=lambda req, who: PreviewInvitations(who.tenant, req.event_id, req.segment),
            reply=lambda p: c.InvitationsPreview(event_id=p.event_id, count=p.count, matching=p.matching),
            description="How many members a segment would invite now (the console shows it before sending)."),
    UseCase(subject=command(c.PUBLISH_EVENT), request=c.EventRef, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.PublishEvent(who.tenant, req.event_id), reply=event_out,
            description="Publish a draft."),
    UseCase(subject=command(c.CANCEL_EVENT), request=c.CancelEvent, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.CancelEvent(who.tenant, req.event_id, req.reason), reply=event_out,
            description="Cancel an event and every registration to it."),
    UseCase(subject=command(c.COMPLETE_EVENT), request=c.EventRef, roles=STAFF, idempotent=True,
            message=lambda req, who: cmd.CompleteEvent(who.tenant, req.event_id), reply=event_out,
            description="Mark an event as held."),
    UseCase(subject=query(c.GET_EVENT), request=c.EventRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: cmd.GetEvent(who.tenant, actor(who), req.event_id), reply=event_out,
            description="One event (an invisible one is not found)."),
    UseCase(subject=query(c.LIST_EVENTS), request=c.ListEvents, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: cmd.ListEvents(who.tenant, actor(who), req.include_drafts, req.limit),
            reply=lambda views: c.EventList(items=[event_out(v) for v in views]),
            description="Events the caller may see, latest first."),
    UseCase(subject=command(c.REGISTER), request=c.Register, roles=ALUMNI_AND_STAFF, idempotent=True,
            ownership=Ownership.NAMED,
            message=lambda req, who: cmd.Register(who.tenant, actor(who), req.event_id, who.target,
                                                  req.ticket_type_id, req.guests),
            reply=registered_out, description="Register (a seat, or the waitlist when full)."),
    UseCase(subject=command(c.CANCEL_REGISTRATION), request=c.RegistrationRef, roles=ALUMNI_AND_STAFF,
            idempotent=True, message=lambda req, who: cmd.CancelRegistration(who.tenant, actor(who),
                                                                             req.registration_id),
            reply=registration_out, description="Cancel a registration; its seats go to the waitlist."),
    UseCase(subject=command(c.CHANGE_GUESTS), request=c.ChangeGuests, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: cmd.ChangeGuests(who.tenant, actor(who), req.registration_id, req.guests),
            reply=registration_out, description="Change the number of guests of a registration."),
    UseCase(subject=command(c.ACCEPT_OFFER), request=c.RegistrationRef, roles=ALUMNI_AND_STAFF, idempotent=True,
            message=lambda req, who: cmd.AcceptOffer(who.tenant, actor(who), req.registration_id),
            reply=registration_out, description="Accept a seat offered from the waitlist."),
    UseCase(subject=command(c.ANSWER_INVITATION), request=c.AnswerInvitation, roles=ALUMNI_AND_STAFF,
            idempotent=True, ownership=Ownership.NAMED,
            message=lambda req, who: cmd.AnswerInvitation(who.tenant, actor(who), req.event_id, who.target,
                                                          RegistrationStatus(req.answer.value)),
            reply=registration_out, description="Answer an invitation: interested or declined."),
    UseCase(subject=query(c.GET_REGISTRATION), request=c.RegistrationRef, roles=ALUMNI_AND_STAFF,
            message=lambda req, who: cmd.GetRegistration(who.tenant, actor(who), req.registration_id),
            reply=registration_out, description="One registration (one's own; staff: any)."),
    UseCase(subject=query(c.MY_REGISTRATIONS), request=c.MyRegistrations, roles=ALUMNI_AND_STAFF,
            ownership=Ownership.SELF, message=lambda req, who: cmd.MyRegistrations(who.tenant, who.target),
            reply=registrations_out, description="The caller's registrations, latest first."),
    UseCase(subject=query(c.EVENT_REGISTRATIONS), request=c.EventRegistrations, roles=STAFF,
            message=lambda req, who: cmd.EventRegistrations(
                who.tenant, req.event_id, RegistrationStatus(req.status.value) if req.status else None, req.limit,
                req.after),
            reply=registration_page_out,
            description="An event's registrations, a page at a time (waitlist in arrival order)."),
]


