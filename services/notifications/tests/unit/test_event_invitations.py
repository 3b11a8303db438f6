"""Invitation emails with a one-click RSVP link (issue 11 item 3), through the handler with fakes:
one email and feed item per invitee and gathering, in the member's language, consent respected;
the link's token verifies for that member and gathering only (tampered, expired, other tenant or
an unsubscribe token: refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from notifications_service.domain.rsvp_links import ExpiredRsvpLink, InvalidRsvpLink, RsvpLinks
from notifications_service.domain.unsubscribe import InvalidUnsubscribeToken, UnsubscribeSigner
from notifications_service.service_layer import event_invitations as ei

from .test_mailer import HOSTILE, contact
from .test_welcome import FakeNotificationsUnitOfWork, Store, composer

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
START = datetime(2027, 6, 12, 17, 0, tzinfo=UTC)
SECRET = "dev-unsubscribe-secret-change-me"


def urls() -> ei.RsvpUrls:
    return ei.RsvpUrls(RsvpLinks(SECRET), "https://alumni.example.org/")


def invitation(member: str = "m1", cause: str = "evt-1") -> ei.SendEventInvitation:
    return ei.SendEventInvitation(tenant="demo", cause_event_id=cause, event_id="ev-2016", member_id=member,
                                  title="Retrouvailles promo 2016", title_en="Class of 2016 reunion",
                                  starts_at=START, timezone="Europe/Paris", venue="Campus de Cergy", online_url=None)


async def send(store: Store, cmd: ei.SendEventInvitation) -> bool:
    return await ei.queue_event_invitation(cmd, FakeNotificationsUnitOfWork(store), composer(), urls(),
                                           clock=lambda: NOW)


def token_of(url: str) -> tuple[str, str]:
    query = parse_qs(urlparse(url).query)
    return query["tenant"][0], query["token"][0]


@pytest.mark.parametrize(("locale", "title", "when"), [
    ("fr", "Retrouvailles promo 2016", "12 juin 2027 à 19:00 (Europe/Paris)"),
    ("en", "Class of 2016 reunion", "12 June 2027, 19:00 (Europe/Paris)")])
async def test_one_invitation_per_member_and_gathering_in_their_language(locale: str, title: str, when: str) -> None:
    store = Store()
    store.contacts["m1"] = contact(locale=locale)
    assert await send(store, invitation())
    [n] = store.notifications.values()
    assert n.id == "event_invitation-ev-2016-m1" and n.email.category == "events" and n.email.marketing
    assert title in n.email.subject and when in n.email.body_text and "Campus de Cergy" in n.email.body_text
    assert HOSTILE not in n.email.body_html, "the member's name is escaped in the HTML part"
    assert dict(n.email.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [link] = [w for w in n.email.body_text.split() if "/api/v1/public/rsvp?" in w]
    assert link.startswith("https://alumni.example.org/api/v1/public/rsvp?tenant=demo&token=")
    tenant, token = token_of(link)
    grant = RsvpLinks(SECRET).verify(token, tenant, NOW)
    assert (grant.member_id, grant.event_id, grant.locale, grant.expires_at) == ("m1", "ev-2016", locale, START)
    assert list(store.feed.items) == [n.id], "and one in-app feed entry"
    # Redelivered, or re-emitted under another event id: nothing new.
    assert not await send(store, invitation())
    assert not await send(store, invitation(cause="evt-2"))
    assert len(store.notifications) == 1 and len(store.feed.items) == 1


async def test_no_invitation_without_consent_or_once_the_gathering_started() -> None:
    store = Store()
    store.contacts["m1"] = contact(consent=False)
    assert not await send(store, invitation())
    store.contacts["m2"] = contact()
    late = ei.SendEventInvitation(**{**invitation("m2").__dict__, "starts_at": NOW - timedelta(minutes=1)})
    assert not await send(store, late)
    assert store.notifications == {} and store.feed.items == {}


@pytest.mark.parametrize("case", ["tampered", "forged", "expired", "other-tenant", "unsubscribe-token", "garbage"])
def test_bad_rsvp_links_are_refused(case: str) -> None:
    links = RsvpLinks(SECRET)
    token = links.issue("demo", "m1", "ev-2016", "fr", START)
    tenant = "demo"
    expected: type[Exception] = InvalidRsvpLink
    now: Any = NOW
    if case == "tampered":  # another member's id in the payload, the old signature
        payload, _, signature = token.partition(".")
        other = links.issue("demo", "m2", "ev-2016", "fr", START).partition(".")[0]
        token = f"{other}.{signature}" if other != payload else token + "x"
    elif case == "forged":
        token = RsvpLinks("another-secret-of-16-chars").issue("demo", "m1", "ev-2016", "fr", START)
    elif case == "expired":
        now, expected = START, ExpiredRsvpLink
    elif case == "other-tenant":
        tenant = "essec"
    elif case == "unsubscribe-token":  # same secret, another use: never an RSVP
        token = UnsubscribeSigner(SECRET).issue("demo", "m1", "events", "fr", NOW)
    else:
        token = "not-a-token.at-all"
    with pytest.raises(expected):
        links.verify(token, tenant, now)


def test_an_rsvp_token_is_not_an_unsubscribe_token() -> None:
    token = RsvpLinks(SECRET).issue("demo", "m1", "ev-2016", "fr", START)
    with pytest.raises(InvalidUnsubscribeToken):
        UnsubscribeSigner(SECRET).verify(token, NOW)
