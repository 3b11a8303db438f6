"""Messages about gatherings through the bootstrapped service with fakes: the confirmation with
the QR ticket and the .ics, the seat offer, a material change told once to each registrant, a
cancellation with what happens to the money — and redeliveries, stale events, other tenants."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest

from alumni_contracts.envelope import CloudEvent, EventData
from alumni_contracts.events import v1
from notifications_service.adapters.smtp import to_mime
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.bootstrap import bootstrap
from notifications_service.config import NotificationsSettings
from notifications_service.domain.gatherings import Gathering, GatheringNotKnownYet, Registrant, split_status
from servicekit.sealed import Sealer

from .test_welcome import FakeNotificationsUnitOfWork, RecordingMailer, Store

SECRET = "a-test-ticket-seal-secret-of-32-characters"
START = datetime(2030, 6, 15, 17, 0, tzinfo=UTC)  # 19:00 in Paris
CODE = "K7QM-2XH4-9RTB-WC3D-P6NF"


class GatheringStore(Store):
    def __init__(self) -> None:
        super().__init__()
        self.gatherings: dict[tuple[str, str], dict[str, Any]] = {}
        self.registrants: dict[tuple[str, str], dict[str, Any]] = {}


class _Versioned:
    def __init__(self, rows: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.rows = rows

    async def apply(self, tenant: str, doc_id: str, version: int, fields: dict[str, Any]) -> bool:
        row = self.rows.setdefault((tenant, doc_id), {"version": 0})
        if row["version"] >= version:
            return False
        row.update(fields, version=version)
        return True


class FakeGatherings(_Versioned):
    async def apply(self, tenant: str, doc_id: str, version: int, fields: dict[str, Any]) -> bool:
        applied = False
        for group, part in split_status(fields):
            row = self.rows.setdefault((tenant, doc_id), {})
            if row.get(group, 0) < version:
                row.update(part, **{group: version})
                applied = True
        return applied

    async def get(self, tenant: str, event_id: str) -> Gathering | None:
        d = self.rows.get((tenant, event_id))
        if d is None or "timezone" not in d:
            return None
        return Gathering(tenant=tenant, event_id=event_id, title=d.get("title", ""), title_en=d.get("title_en"),
                         starts_at=d["starts_at"], ends_at=d["ends_at"], timezone=d["timezone"],
                         venue=d.get("venue", ""), online_url=d.get("online_url"), status=d.get("status", ""),
                         cancellation_policy=d.get("cancellation_policy", ""),
                         cancel_reason=d.get("cancel_reason", ""),
                         version=max(d.get("details_version", 0), d.get("status_version", 0)))


class FakeRegistrants(_Versioned):
    def _out(self, key: tuple[str, str], d: dict[str, Any]) -> Registrant:
        return Registrant(tenant=key[0], registration_id=key[1], event_id=d["event_id"], member_id=d["member_id"],
                          status=d["status"], price_minor=d.get("price_minor", 0), currency=d.get("currency", ""))

    async def get(self, tenant: str, registration_id: str) -> Registrant | None:
        d = self.rows.get((tenant, registration_id))
        return None if d is None else self._out((tenant, registration_id), d)

    async def active_of_event(self, tenant: str, event_id: str) -> list[Registrant]:
        return [self._out(k, d) for k, d in sorted(self.rows.items())
                if k[0] == tenant and d["event_id"] == event_id
                and d["status"] in ("registered", "pending_payment", "waitlisted", "promoted")]

    async def erase(self, tenant: str, member_id: str) -> int:
        mine = [k for k, d in self.rows.items() if k[0] == tenant and d["member_id"] == member_id]
        for k in mine:
            del self.rows[k]
        return len(mine)


class FakeGatheringsUnitOfWork(FakeNotificationsUnitOfWork):
    def __init__(self, store: GatheringStore) -> None:
        super().__init__(store)
        self.gatherings = FakeGatherings(store.gatherings)
        self.registrants = FakeRegistrants(store.registrants)


class Service:
    def __init__(self, secret: str = SECRET) -> None:
        self.store = GatheringStore()
        self.mailer = RecordingMailer()
        settings = NotificationsSettings(message_id_domain="alumni.test", public_url="https://alumni.test",
                                         ticket_seal_secrets=secret)  # type: ignore[arg-type]
        self.parts, self.worker = bootstrap(lambda: FakeGatheringsUnitOfWork(self.store), self.store, self.mailer,
                                            JinjaRenderer(), settings)
        self.handlers = {(s.event, s.lane): h for s, h in self.parts.events}
        self.versions: dict[str, itertools.count[int]] = {}
        self.contact("m1", "fr")
        self.contact("m2", "en")

    def contact(self, member_id: str, locale: str, tenant: str = "demo") -> None:
        self.store.contacts[member_id] = {"email": f"{member_id}@example.org", "locale": locale, "first_name": member_id,
                                          "contactable": True}

    async def deliver(self, data: EventData, aggregate: str, tenant: str = "demo", *, version: int | None = None,
                      event_id: str | None = None) -> CloudEvent[Any]:
        if version is None:
            version = next(self.versions.setdefault(aggregate, itertools.count(1)))
        event = CloudEvent.wrap(data, tenant=tenant, subject=aggregate, aggregate_version=version,
                                correlation_id="c-1", event_id=event_id)
        await self.handlers[(type(data), "gatherings")](event)
        return event

    async def gathering(self, event_id: str = "ev1", tenant: str = "demo", **extra: Any) -> None:
        await self.deliver(v1.EventScheduled(
            event_id=event_id, title="Gala des 10 ans", title_en="10-year gala", starts_at=START,
            ends_at=START + timedelta(hours=4), timezone="Europe/Paris", venue="Campus de Cergy", capacity=100,
            cancellation_policy="Remboursement jusqu'à 7 jours avant", **extra), event_id, tenant)
        await self.deliver(v1.EventPublished(event_id=event_id, title="Gala des 10 ans", starts_at=START,
                                             ends_at=START + timedelta(hours=4), visibility=v1.Visibility.ALUMNI,
                                             capacity=100), event_id, tenant)

    async def confirm(self, reg: str, member: str, *, price: int = 0, sealed: str | None = None,
                      tenant: str = "demo", event_id: str = "ev1") -> CloudEvent[Any]:
        return await self.deliver(v1.RegistrationConfirmed(
            registration_id=reg, event_id=event_id, member_id=member, ticket_type_id="general", guests=1,
            price_minor=price, currency="EUR", ticket_sealed=sealed), reg, tenant)


def sealed(reg: str, code: str = CODE, secret: str = SECRET) -> str:
    return Sealer([secret], "alumni ticket code").seal(code, f"ticket|{reg}")


def queued(s: Service) -> list[Any]:
    found = list(s.store.notifications.values())
    assert all(len(n.id) <= 64 for n in found), "a notification id is at most 64 characters (notification_sent)"
    return found


async def test_confirmation_carries_the_qr_of_the_code_and_the_ics_in_the_member_language() -> None:
    s = Service()
    await s.gathering()
    await s.confirm("r1", "m1", sealed=sealed("r1"))
    await s.confirm("r2", "m2", price=4500, sealed=sealed("r2"))
    by_member = {n.member_id: n for n in queued(s)}
    fr, en = by_member["m1"].email, by_member["m2"].email
    assert fr is not None and en is not None
    assert fr.subject == "Inscription confirmée : Gala des 10 ans" and en.subject == "Registration confirmed: 10-year gala"
    assert CODE in fr.body_text and "samedi 15 juin 2030, 19:00 – 23:00 (Europe/Paris)" in fr.body_text
    assert "Saturday 15 June 2030, 19:00 – 23:00" in en.body_text and "EUR 45.00" in en.body_text
    assert 'src="cid:ticket-qr"' in fr.body_html
    qr, calendar = fr.attachments
    assert qr.content_type == "image/png" and qr.data.startswith(b"\x89PNG") and qr.content_id == "ticket-qr"
    assert calendar.content_type.startswith("text/calendar") and b"UID:r1@alumni-events" in calendar.data
    assert b"BEGIN:VTIMEZONE" in calendar.data and b"DTSTART;TZID=Europe/Paris:20300615T190000" in calendar.data
    assert CODE.encode() in calendar.data
    # The SMTP message: the QR shown inline next to the HTML, the .ics attached.
    mime = message_from_bytes(bytes(to_mime(fr, "office@alumni.test")), policy=policy.default)
    parts = {(p.get_content_type(), p.get_content_disposition()) for p in mime.walk()}
    assert ("image/png", "inline") in parts and ("text/calendar", "attachment") in parts
    assert s.store.feed.items[by_member["m1"].id].title == fr.subject, "and one in-app feed entry"


async def test_a_code_that_does_not_open_is_left_out_and_the_email_links_to_the_ticket() -> None:
    s = Service()
    await s.gathering()
    await s.confirm("r1", "m1", sealed=sealed("r1", secret="another-secret-that-is-32-characters!!"))
    await s.confirm("r2", "m2", sealed=sealed("r1"))  # r1's sealed code copied into r2's event
    for n in queued(s):
        assert n.email is not None and CODE not in n.email.body_text
        assert "https://alumni.test/console#my-registrations" in n.email.body_text
        assert [a.content_type.split(";")[0] for a in n.email.attachments] == ["text/calendar"]


async def test_redelivered_or_stale_events_queue_nothing_twice() -> None:
    s = Service()
    await s.gathering()
    first = await s.confirm("r1", "m1", sealed=sealed("r1"))
    await s.handlers[(v1.RegistrationConfirmed, "gatherings")](first)  # redelivered as is
    assert len(queued(s)) == 1
    # A cancellation overtaking the confirmation (other consumer): no confirmation afterwards.
    await s.deliver(v1.RegistrationCancelled(registration_id="r9", event_id="ev1", member_id="m2", reason="member",
                                             seats_released=1), "r9", version=2)
    await s.deliver(v1.RegistrationConfirmed(registration_id="r9", event_id="ev1", member_id="m2",
                                             ticket_type_id="general", guests=0, price_minor=0, currency="EUR"),
                    "r9", version=1)
    assert len(queued(s)) == 1


async def test_a_registration_before_its_gathering_is_known_is_retried() -> None:
    s = Service()
    with pytest.raises(GatheringNotKnownYet):
        await s.confirm("r1", "m1")
    assert queued(s) == []
    await s.gathering()
    await s.deliver(v1.RegistrationConfirmed(registration_id="r1", event_id="ev1", member_id="m1",
                                             ticket_type_id="general", guests=0, price_minor=0, currency="EUR"),
                    "r1", version=1)
    assert len(queued(s)) == 1


async def test_a_material_change_is_told_once_to_each_registrant_a_typo_to_nobody() -> None:
    s = Service()
    await s.gathering()
    await s.confirm("r1", "m1")
    await s.deliver(v1.RegistrationWaitlisted(registration_id="r2", event_id="ev1", member_id="m2",
                                              ticket_type_id="general", guests=0, waitlisted_at=START), "r2")
    await s.deliver(v1.RegistrationPaymentRequested(registration_id="r3", event_id="ev1", member_id="m3",
                                                    price_minor=4500, currency="EUR", pay_by=START), "r3")
    await s.deliver(v1.RegistrationConfirmed(registration_id="r4", event_id="ev1", member_id="m4",
                                             ticket_type_id="general", guests=0, price_minor=0, currency="EUR"), "r4")
    await s.deliver(v1.RegistrationCancelled(registration_id="r4", event_id="ev1", member_id="m4", reason="member",
                                             seats_released=1), "r4")
    s.contact("m3", "fr")
    s.contact("m4", "fr")
    confirmations = len(queued(s))

    def updated(changed: list[str], **fields: Any) -> v1.EventUpdated:
        base = {"event_id": "ev1", "changed": changed, "starts_at": START + timedelta(days=1),
                "ends_at": START + timedelta(days=1, hours=4), "timezone": "Europe/Paris", "venue": "Salle Gaveau",
                "capacity": 100, "status": "published", "title": "Gala des 10 ans", **fields}
        return v1.EventUpdated(**base)

    await s.deliver(updated(["description_fr"], material=False), "ev1")
    assert len(queued(s)) == confirmations, "a typo in the description is not worth an email"
    change = await s.deliver(updated(["starts_at", "ends_at", "venue"], material=True), "ev1")
    await s.handlers[(v1.EventUpdated, "gatherings")](change)  # redelivered
    told = [n for n in queued(s) if n.template == "gathering_updated"]
    assert sorted(n.member_id for n in told) == ["m1", "m2", "m3"], "registered, waitlisted, pending payment"
    m1 = next(n for n in told if n.member_id == "m1").email
    assert m1 is not None and "dimanche 16 juin 2030" in m1.body_text and "Salle Gaveau" in m1.body_text
    assert b"SEQUENCE:" in m1.attachments[0].data
    m2 = next(n for n in told if n.member_id == "m2").email
    assert m2 is not None and "waitlist" in m2.body_text and m2.attachments == ()
    # An older event without `material` (before the field existed): decided from `changed`.
    await s.deliver(v1.EventUpdated(event_id="ev1", changed=["online_url"], starts_at=START, ends_at=START
                                    + timedelta(hours=4), timezone="Europe/Paris", venue="", capacity=100,
                                    online_url="https://meet.example.org/gala", status="published"), "ev1")
    assert len([n for n in queued(s) if n.template == "gathering_updated"]) == 6


async def test_a_change_of_a_draft_tells_nobody() -> None:
    s = Service()
    await s.deliver(v1.EventScheduled(event_id="ev2", title="Afterwork", starts_at=START, ends_at=START
                                      + timedelta(hours=2), timezone="Europe/Paris", venue="Bar", capacity=10), "ev2")
    await s.deliver(v1.EventUpdated(event_id="ev2", changed=["venue"], starts_at=START, ends_at=START
                                    + timedelta(hours=2), timezone="Europe/Paris", venue="Autre bar", capacity=10,
                                    status="draft", material=True), "ev2")
    assert queued(s) == []


async def test_cancellation_tells_each_registrant_what_happens_to_their_money() -> None:
    s = Service()
    await s.gathering()
    await s.confirm("r1", "m1", price=4500)
    await s.confirm("r2", "m2")
    await s.deliver(v1.RegistrationPaymentRequested(registration_id="r3", event_id="ev1", member_id="m3",
                                                    price_minor=4500, currency="EUR", pay_by=START), "r3")
    s.contact("m3", "fr")
    await s.deliver(v1.EventCancelled(event_id="ev1", reason="Salle indisponible"), "ev1")
    for reg, member, paid in (("r1", "m1", 4500), ("r2", "m2", 0), ("r3", "m3", 0)):
        event = await s.deliver(v1.RegistrationCancelled(registration_id=reg, event_id="ev1", member_id=member,
                                                         reason="event_cancelled", seats_released=1, paid_minor=paid,
                                                         currency="EUR"), reg)
        await s.handlers[(v1.RegistrationCancelled, "gatherings")](event)  # redelivered: nothing more
    told = {n.member_id: n.email for n in queued(s) if n.template == "gathering_cancelled"}
    assert set(told) == {"m1", "m2", "m3"}
    m1, m2, m3 = told["m1"], told["m2"], told["m3"]
    assert m1 is not None and m2 is not None and m3 is not None
    assert "Salle indisponible" in m1.body_text and "45,00 EUR" in m1.body_text and "rembourser" in m1.body_text
    assert "Remboursement jusqu'à 7 jours avant" in m1.body_text
    assert "will refund" not in m2.body_text and m2.subject == "Cancelled: 10-year gala"
    assert "rien ne sera prélevé" in m3.body_text
    assert b"STATUS:CANCELLED" in m1.attachments[0].data and b"METHOD:CANCEL" in m1.attachments[0].data
    # A member cancelling their own seat is not told the gathering is cancelled.
    await s.confirm("r5", "m1", event_id="ev1")
    before = len(queued(s))
    await s.deliver(v1.RegistrationCancelled(registration_id="r5", event_id="ev1", member_id="m1", reason="member",
                                             seats_released=1), "r5")
    assert len(queued(s)) == before


async def test_a_promoted_member_is_offered_the_seat_with_the_deadline() -> None:
    s = Service()
    await s.gathering()
    await s.deliver(v1.RegistrationWaitlisted(registration_id="r1", event_id="ev1", member_id="m2",
                                              ticket_type_id="general", guests=0, waitlisted_at=START), "r1")
    await s.deliver(v1.RegistrationPromoted(registration_id="r1", event_id="ev1", member_id="m2",
                                            accept_by=datetime(2030, 6, 3, 16, 0, tzinfo=UTC)), "r1")
    [offer] = queued(s)
    assert offer.email is not None and offer.email.subject == "A seat is free for you: 10-year gala"
    assert "Monday 3 June 2030, 18:00 (Europe/Paris)" in offer.email.body_text


async def test_tenants_do_not_mix() -> None:
    s = Service()
    await s.gathering("ev1", "demo")
    with pytest.raises(GatheringNotKnownYet):  # the same event id in another tenant is another gathering
        await s.confirm("r1", "m1", tenant="other")
    await s.confirm("r2", "m2", tenant="demo")
    await s.deliver(v1.EventUpdated(event_id="ev1", changed=["venue"], starts_at=START, ends_at=START
                                    + timedelta(hours=4), timezone="Europe/Paris", venue="Ailleurs", capacity=100,
                                    status="published", material=True), "ev1", tenant="other")
    assert [n.template for n in queued(s)] == ["gathering_confirmed"]


async def test_a_registration_cancelled_before_the_gathering_is_known_cancelled_waits_for_its_reason() -> None:
    s = Service()
    await s.gathering()
    await s.confirm("r1", "m1")
    cancelled = v1.RegistrationCancelled(registration_id="r1", event_id="ev1", member_id="m1",
                                         reason="event_cancelled", seats_released=1)
    with pytest.raises(GatheringNotKnownYet):  # retried by the consumer (transient)
        await s.deliver(cancelled, "r1", version=2)
    await s.deliver(v1.EventCancelled(event_id="ev1", reason="Grève"), "ev1")
    await s.deliver(cancelled, "r1", version=2)
    [told] = [n for n in queued(s) if n.template == "gathering_cancelled"]
    assert told.email is not None and "Grève" in told.email.body_text


async def test_published_overtaking_scheduled_keeps_the_details() -> None:
    s = Service()
    published = v1.EventPublished(event_id="ev1", title="Gala", starts_at=START, ends_at=START + timedelta(hours=4),
                                  visibility=v1.Visibility.ALUMNI, capacity=100)
    await s.deliver(published, "ev1", version=2)
    with pytest.raises(GatheringNotKnownYet):  # no place nor timezone yet: retried
        await s.confirm("r1", "m1")
    await s.deliver(v1.EventScheduled(event_id="ev1", title="Gala", starts_at=START, ends_at=START + timedelta(hours=4),
                                      timezone="Europe/Paris", venue="Campus", capacity=100), "ev1", version=1)
    await s.deliver(v1.RegistrationConfirmed(registration_id="r1", event_id="ev1", member_id="m1",
                                             ticket_type_id="general", guests=0, price_minor=0, currency="EUR"),
                    "r1", version=1)
    [n] = queued(s)
    assert n.email is not None and "Campus" in n.email.body_text
    assert s.store.gatherings[("demo", "ev1")]["status"] == "published", "the older event left the status alone"
