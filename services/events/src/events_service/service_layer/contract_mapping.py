from __future__ import annotations

from alumni_contracts.envelope import EventData
from alumni_contracts.events import v1
from events_service.domain import model as m
from events_service.domain import registrations as r
from servicekit.domain import DomainEvent
from servicekit.erasure import DataErased, confirmation
from servicekit.sealed import Sealer

TICKET_SEAL_PURPOSE = "alumni ticket code"


def ticket_context(registration_id: str) -> str:
    """What a sealed ticket code is bound to: it opens for this registration only (a UUIDv7, unique
    across tenants), so a sealed value copied into another registration's event does not open."""
    return f"ticket|{registration_id}"


def to_contract(event: DomainEvent, sealer: Sealer | None = None) -> EventData | None:
    """`sealer`: seals a confirmed registration's ticket code for notifications (the QR code of
    the confirmation email); without one, the code is left out."""
    match event:
        case m.EventScheduled():
            return v1.EventScheduled(event_id=event.event_id, title=event.title, starts_at=event.starts_at,
                                     ends_at=event.ends_at, timezone=event.timezone, venue=event.venue,
                                     capacity=event.capacity, title_en=event.title_en, online_url=event.online_url,
                                     visibility=v1.Visibility(event.visibility),
                                     cancellation_policy=event.cancellation_policy or None)
        case m.EventPublished():
            return v1.EventPublished(event_id=event.event_id, title=event.title, starts_at=event.starts_at,
                                     ends_at=event.ends_at, visibility=v1.Visibility(event.visibility),
                                     capacity=event.capacity)
        case m.EventUpdated():
            return v1.EventUpdated(event_id=event.event_id, changed=list(event.changed), starts_at=event.starts_at,
                                   ends_at=event.ends_at, timezone=event.timezone, venue=event.venue,
                                   online_url=event.online_url, capacity=event.capacity, status=event.status,
                                   title=event.title or None, title_en=event.title_en,
                                   cancellation_policy=event.cancellation_policy, material=event.material)
        case m.EventCancelled():
            return v1.EventCancelled(event_id=event.event_id, reason=event.reason)
        case m.EventCompleted():
            return v1.EventCompleted(event_id=event.event_id)
        case m.InvitationsIssued():
            return v1.InvitationsIssued(event_id=event.event_id, segment=event.segment, invited=event.invited,
                                        issued_at=event.issued_at)
        case r.RegistrationConfirmed():
            return v1.RegistrationConfirmed(registration_id=event.registration_id, event_id=event.event_id,
                                            member_id=event.member_id, ticket_type_id=event.ticket_type_id,
                                            guests=event.guests, price_minor=event.price_minor,
                                            currency=event.currency, ticket_sealed=sealer.seal(
                                                event.ticket_code, ticket_context(event.registration_id))
                                            if sealer is not None and event.ticket_code else None)
        case r.RegistrationPaymentRequested():
            return v1.RegistrationPaymentRequested(registration_id=event.registration_id, event_id=event.event_id,
                                                   member_id=event.member_id, price_minor=event.price_minor,
                                                   currency=event.currency, pay_by=event.pay_by)
        case r.RegistrationWaitlisted():
            return v1.RegistrationWaitlisted(registration_id=event.registration_id, event_id=event.event_id,
                                             member_id=event.member_id, ticket_type_id=event.ticket_type_id,
                                             guests=event.guests, waitlisted_at=event.waitlisted_at)
        case r.RegistrationPromoted():
            return v1.RegistrationPromoted(registration_id=event.registration_id, event_id=event.event_id,
                                           member_id=event.member_id, accept_by=event.accept_by)
        case r.RegistrationGuestsChanged():
            return v1.RegistrationGuestsChanged(registration_id=event.registration_id, event_id=event.event_id,
                                                member_id=event.member_id, guests=event.guests)
        case r.RegistrationCancelled():
            return v1.RegistrationCancelled(registration_id=event.registration_id, event_id=event.event_id,
                                            member_id=event.member_id, reason=event.reason,
                                            seats_released=event.seats_released, paid_minor=event.paid_minor,
                                            currency=event.currency or None)
        case r.MemberInvited():
            return v1.MemberInvited(registration_id=event.registration_id, event_id=event.event_id,
                                    member_id=event.member_id, invited_at=event.invited_at, title=event.title,
                                    title_en=event.title_en, starts_at=event.starts_at, ends_at=event.ends_at,
                                    timezone=event.timezone, venue=event.venue, online_url=event.online_url)
        case r.RsvpAnswered():
            return v1.InvitationAnswered(registration_id=event.registration_id, event_id=event.event_id,
                                         member_id=event.member_id, answer=event.status)
        case DataErased():
            return confirmation(event, v1.MemberDataErased)
    raise TypeError(f"no contract for {type(event).__name__}")
