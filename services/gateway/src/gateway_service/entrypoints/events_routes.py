"""Events (gatherings): scheduling and lifecycle (staff), ticket types, registration with
atomic capacity (201 registered / 202 waitlisted), invitation answers, and the alumnus's own
registrations (`/api/v1/me/registrations`). Paid tickets: the registration holds its seat
(`pending_payment`) and fundraising opens a hosted checkout for it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from alumni_contracts import naming
from alumni_contracts.common import Identifier
from alumni_contracts.events import commands as ev
from alumni_contracts.fundraising import commands as fc
from alumni_contracts.segments import Segment
from gateway_service.entrypoints.edge import IdempotencyKey, Who, created, forward

router = APIRouter()
EVENTS = "/api/v1/events"
MINE = "/api/v1/me/registrations"
EventId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
RegistrationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TAGS: list[str | Any] = ["events"]


def cmd(name: str) -> str:
    return naming.command_subject("events", name)


def qry(name: str) -> str:
    return naming.query_subject("events", name)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpdateBody(ev.UpdateEvent):
    event_id: Identifier | None = None  # type: ignore[assignment]  # from the path


class TicketTypesBody(_Body):
    ticket_types: list[ev.TicketTypeIn] = Field(min_length=1, max_length=20)


class CancelBody(_Body):
    reason: str = Field(min_length=1, max_length=300, examples=["Salle indisponible"])


class RegisterBody(_Body):
    member_id: Identifier | None = Field(None, description="Staff only: whom to register (alumni: themselves).")
    ticket_type_id: str | None = Field(None, pattern=r"^[a-z0-9-]{1,40}$")
    guests: int = Field(0, ge=0, le=10)
    methods: list[fc.OnlineMethod] = Field(default_factory=lambda: [fc.OnlineMethod.CARD], min_length=1, max_length=2,
                                           description="Paid tickets: how the member may pay.")
    return_url: HttpUrl | None = None


class GuestsBody(_Body):
    guests: int = Field(ge=0, le=10)


class AnswerBody(_Body):
    answer: ev.InvitationAnswer
    member_id: Identifier | None = None


class RegistrationWithCheckout(ev.RegistrationOut):
    checkout: fc.CheckoutCreated | None = Field(None, description="Paid ticket: pay here before `pay_by`.")


@router.post(EVENTS, status_code=201, tags=TAGS, response_model=ev.EventScheduledResult)
async def schedule_event(body: ev.ScheduleEvent, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Managers schedule a gathering: FR and/or EN title, start/end with an IANA timezone, venue
    or online link, visibility, ticket types. `status`: `published` (default, as the first
    version of this route did) or `draft`."""
    result = await forward(request, cmd(ev.SCHEDULE_EVENT), body, who, idempotency_key)
    return created(result, f"{EVENTS}/{result['event_id']}")


@router.get(EVENTS, tags=TAGS, response_model=ev.EventList)
async def list_events(request: Request, who: Who, include_drafts: bool = False,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """Events the caller may see (alumni: published, public or alumni-wide, or invited), latest first."""
    return await forward(request, qry(ev.LIST_EVENTS), ev.ListEvents(include_drafts=include_drafts, limit=limit), who)


@router.get(EVENTS + "/{event_id}", tags=TAGS, response_model=ev.EventOut)
async def get_event(event_id: EventId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, qry(ev.GET_EVENT), ev.EventRef(event_id=event_id), who)


@router.patch(EVENTS + "/{event_id}", tags=TAGS, response_model=ev.EventOut)
async def update_event(event_id: EventId, body: UpdateBody, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Change the fields sent; registrants hear of it (`event_updated`). The capacity cannot
    drop below the seats taken (422); added seats go to the waitlist first."""
    fields = body.model_dump(include=body.model_fields_set - {"event_id"})
    return await forward(request, cmd(ev.UPDATE_EVENT), ev.UpdateEvent(event_id=event_id, **fields), who,
                         idempotency_key)


@router.put(EVENTS + "/{event_id}/ticket-types", tags=TAGS, response_model=ev.EventOut)
async def set_ticket_types(event_id: EventId, body: TicketTypesBody, request: Request, who: Who,
                           idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await forward(request, cmd(ev.SET_TICKET_TYPES),
                         ev.SetTicketTypes(event_id=event_id, ticket_types=body.ticket_types), who, idempotency_key)


class InvitationsBody(_Body):
    segment: Segment


@router.post(EVENTS + "/{event_id}/invitations", status_code=201, tags=TAGS, response_model=ev.InvitationsResult,
             responses={409: {"description": "Invitations were already issued to another segment"}})
async def issue_invitations(event_id: EventId, body: InvitationsBody, request: Request, who: Who,
                            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Managers invite a segment (cohort years, programs, cities, groups, membership state…):
    computed once on the events service's own projection; each invitee gets an `invited`
    registration (and sees an invitation-only event). Sending it again returns the first result."""
    result = await forward(request, cmd(ev.ISSUE_INVITATIONS),
                           ev.IssueInvitations(event_id=event_id, segment=body.segment), who, idempotency_key)
    return created(result, f"{EVENTS}/{event_id}/registrations?status=invited")


@router.post(EVENTS + "/{event_id}/publish", tags=TAGS, response_model=ev.EventOut)
async def publish_event(event_id: EventId, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await forward(request, cmd(ev.PUBLISH_EVENT), ev.EventRef(event_id=event_id), who, idempotency_key)


@router.post(EVENTS + "/{event_id}/cancel", tags=TAGS, response_model=ev.EventOut)
async def cancel_event(event_id: EventId, body: CancelBody, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Cancel the event; every registration is cancelled and registrants are told."""
    return await forward(request, cmd(ev.CANCEL_EVENT), ev.CancelEvent(event_id=event_id, reason=body.reason), who,
                         idempotency_key)


@router.post(EVENTS + "/{event_id}/complete", tags=TAGS, response_model=ev.EventOut)
async def complete_event(event_id: EventId, request: Request, who: Who,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await forward(request, cmd(ev.COMPLETE_EVENT), ev.EventRef(event_id=event_id), who, idempotency_key)


@router.post(EVENTS + "/{event_id}/registrations", status_code=201, tags=TAGS,
             response_model=RegistrationWithCheckout,
             responses={202: {"description": "Full: waitlisted (in arrival order)", "model": ev.RegistrationOut},
                        404: {"description": "No such event, or not visible to the caller"},
                        409: {"description": "Already registered, or registration closed / event cancelled"}})
async def register(event_id: EventId, body: RegisterBody, request: Request, who: Who,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Register (an alumnus for themself, staff for anyone): `201` with a seat (`registered`,
    or `pending_payment` with a `checkout` for a paid ticket), `202` when full (`waitlisted`).
    Retrying with the same `Idempotency-Key` returns the first answer."""
    result = await forward(request, cmd(ev.REGISTER), ev.Register(
        event_id=event_id, member_id=body.member_id, ticket_type_id=body.ticket_type_id, guests=body.guests), who,
        idempotency_key)
    location = f"{MINE}/{result['registration_id']}"
    if result["status"] == ev.RegistrationStatus.WAITLISTED:
        return JSONResponse(result, status_code=202, headers={"Location": location})
    if result["status"] == ev.RegistrationStatus.PENDING_PAYMENT:
        result["checkout"] = await forward(request, naming.command_subject("fundraising", fc.CREATE_CHECKOUT),
                                           fc.CreateCheckout(
            purpose=fc.PaymentPurpose.EVENT_TICKET, reference_id=result["registration_id"],
            member_id=result["member_id"], amount_minor=result["price_minor"], currency=result["currency"],
            description=f"Billet — {result.get('event_title') or 'événement'}"[:120], methods=body.methods,
            return_url=body.return_url), who, idempotency_key)
    return created(result, location)


@router.get(EVENTS + "/{event_id}/registrations", tags=TAGS, response_model=ev.RegistrationList)
async def event_registrations(event_id: EventId, request: Request, who: Who,
                              status: ev.RegistrationStatus | None = None,
                              limit: Annotated[int, Query(ge=1, le=1000)] = 500,
                              after: Annotated[str | None, Query(min_length=1, max_length=300,
                                                                 pattern=r"^[A-Za-z0-9_-]+$")] = None
                              ) -> dict[str, Any]:
    """Staff: an event's registrations, a page at a time (`limit` rows, then `after=<next_cursor>`
    until `next_cursor` is absent), filtered by `status`; `status=waitlisted` lists the waitlist in
    arrival order, any other list in registration order."""
    return await forward(request, qry(ev.EVENT_REGISTRATIONS),
                         ev.EventRegistrations(event_id=event_id, status=status, limit=limit, after=after), who)


@router.post(EVENTS + "/{event_id}/rsvp", tags=TAGS, response_model=ev.RegistrationOut)
async def answer(event_id: EventId, body: AnswerBody, request: Request, who: Who,
                 idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Answer an invitation without taking a seat: `interested` or `declined`."""
    return await forward(request, cmd(ev.ANSWER_INVITATION),
                         ev.AnswerInvitation(event_id=event_id, member_id=body.member_id, answer=body.answer), who,
                         idempotency_key)


@router.get(MINE, tags=TAGS, response_model=ev.RegistrationList)
async def my_registrations(request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, qry(ev.MY_REGISTRATIONS), ev.MyRegistrations(), who)


@router.get(MINE + "/{registration_id}", tags=TAGS, response_model=ev.RegistrationOut)
async def my_registration(registration_id: RegistrationId, request: Request, who: Who) -> dict[str, Any]:
    return await forward(request, qry(ev.GET_REGISTRATION), ev.RegistrationRef(registration_id=registration_id), who)


@router.patch(MINE + "/{registration_id}", tags=TAGS, response_model=ev.RegistrationOut)
async def change_guests(registration_id: RegistrationId, body: GuestsBody, request: Request, who: Who,
                        idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Change the number of guests: more needs free seats (409 when full); fewer frees seats for the waitlist."""
    return await forward(request, cmd(ev.CHANGE_GUESTS),
                         ev.ChangeGuests(registration_id=registration_id, guests=body.guests), who, idempotency_key)


@router.post(MINE + "/{registration_id}/cancel", tags=TAGS, response_model=ev.RegistrationOut)
async def cancel_registration(registration_id: RegistrationId, request: Request, who: Who,
                              idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Cancel (the member, or staff for anyone): the seats go to the head of the waitlist."""
    return await forward(request, cmd(ev.CANCEL_REGISTRATION), ev.RegistrationRef(registration_id=registration_id),
                         who, idempotency_key)


@router.post(MINE + "/{registration_id}/accept", tags=TAGS, response_model=ev.RegistrationOut)
async def accept_offer(registration_id: RegistrationId, request: Request, who: Who,
                       idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Accept a seat offered from the waitlist (`promoted`) before `accept_by`."""
    return await forward(request, cmd(ev.ACCEPT_OFFER), ev.RegistrationRef(registration_id=registration_id), who,
                         idempotency_key)
