"""What the events service publishes for the registrants' messages: the ticket code sealed for
notifications (never in clear), whether a change is material, what a cancellation had cost, the
pending payment — through the bootstrapped service with fakes and the contract mapping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alumni_contracts.events import v1
from events_service.domain.registrations import RegistrationConfirmed
from events_service.service_layer.commands import SettleTicketPayment
from events_service.service_layer.contract_mapping import TICKET_SEAL_PURPOSE, ticket_context, to_contract
from servicekit.sealed import Sealer, SealError

from .test_registrations import MANAGER, START, Service, alumnus

SECRET = "an-events-unit-test-seal-secret-32-chars"


def test_the_code_is_sealed_for_this_registration_only_and_left_out_without_a_key() -> None:
    confirmed = RegistrationConfirmed("r1", "ev1", "m1", "general", 0, 0, "EUR", "K7QM-2XH4-9RTB-WC3D-P6NF")
    sealer = Sealer([SECRET], TICKET_SEAL_PURPOSE)
    data = to_contract(confirmed, sealer=sealer)
    assert isinstance(data, v1.RegistrationConfirmed) and data.ticket_sealed is not None
    assert "K7QM" not in data.model_dump_json()
    assert sealer.open(data.ticket_sealed, ticket_context("r1")) == "K7QM-2XH4-9RTB-WC3D-P6NF"
    with pytest.raises(SealError):
        sealer.open(data.ticket_sealed, ticket_context("r2"))  # copied into another registration's event
    with pytest.raises(SealError):
        Sealer(["another-secret-of-at-least-32-characters"], TICKET_SEAL_PURPOSE).open(
            data.ticket_sealed, ticket_context("r1"))
    with pytest.raises(SealError):
        sealer.open(data.ticket_sealed[:-2] + "AA", ticket_context("r1"))  # tampered with
    unsealed = to_contract(confirmed)
    assert isinstance(unsealed, v1.RegistrationConfirmed) and unsealed.ticket_sealed is None
    rotated = Sealer(["a-new-secret-listed-first-32-characters", SECRET], TICKET_SEAL_PURPOSE)
    assert rotated.open(data.ticket_sealed, ticket_context("r1")) == "K7QM-2XH4-9RTB-WC3D-P6NF"
    with pytest.raises(ValueError):
        Sealer(["short"])


async def test_material_changes_pending_payments_and_what_a_cancellation_cost() -> None:
    s = Service()
    event_id = await s.event(capacity=5, cancellation_policy="7 jours")
    await s.call("update_event", MANAGER, event_id=event_id, description="Tenue de soirée")
    await s.call("update_event", MANAGER, event_id=event_id, venue="Salle Gaveau",
                 starts_at=START + timedelta(hours=1))
    typo, moved = s.published(v1.EventUpdated)
    assert typo.material is False and moved.material is True and moved.title == "Reunion 2016"
    assert moved.cancellation_policy == "7 jours"
    [scheduled] = s.published(v1.EventScheduled)
    assert scheduled.cancellation_policy == "7 jours"

    paid = await s.event(capacity=5, ticket_types=[{"id": "gala", "name": "Gala", "member_price_minor": 4500,
                                                    "non_member_price_minor": 6000, "currency": "EUR"}])
    pending = await s.call("register", alumnus("m1"), event_id=paid)
    assert pending.status == "pending_payment"
    [requested] = s.published(v1.RegistrationPaymentRequested)
    assert requested.registration_id == pending.registration_id and requested.price_minor in (4500, 6000)
    paying = await s.call("register", alumnus("m3"), event_id=paid)
    await s.parts.bus.handle(SettleTicketPayment("demo", paying.registration_id, paid=True))  # type: ignore[attr-defined]
    free = await s.call("register", alumnus("m2"), event_id=event_id)
    await s.call("cancel_event", MANAGER, event_id=event_id, reason="Grève")
    await s.call("cancel_event", MANAGER, event_id=paid, reason="Grève")
    cancelled = {c.registration_id: c for c in s.published(v1.RegistrationCancelled)}
    assert cancelled[free.registration_id].paid_minor == 0 and cancelled[free.registration_id].reason == "event_cancelled"
    assert cancelled[pending.registration_id].paid_minor == 0, "a pending payment was not taken"
    assert cancelled[paying.registration_id].paid_minor == paying.price_minor > 0
    assert cancelled[paying.registration_id].currency == "EUR"
