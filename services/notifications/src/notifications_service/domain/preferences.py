"""Who may be sent what, on which channel: categories, preferences, consent (pure rules).

Every message has a *kind* (its template), a *category* and is either **transactional** (a
receipt, a ticket, a certificate, a security notice, a dues reminder: always sent to a
contactable member) or **marketing** (a newsletter, an invitation, a job offer: sent only while
the member's preference for that category and channel is on *and* the consent purpose the
category maps to is granted in the ledger that members publishes as `member_consent_changed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from servicekit.domain import AggregateRoot, DomainEvent


class Category(StrEnum):
    EVENTS = "events"
    NEWSLETTERS = "newsletters"
    JOBS = "jobs"
    FUNDRAISING = "fundraising"
    MEMBERSHIP = "membership"
    COMMUNITY = "community"


class Channel(StrEnum):
    EMAIL = "email"
    IN_APP = "in_app"


# The consent purpose (members' ledger) a marketing message of a category needs.
CONSENT_PURPOSE: dict[Category, str] = {
    Category.NEWSLETTERS: "newsletter", Category.EVENTS: "newsletter", Category.JOBS: "newsletter",
    Category.COMMUNITY: "newsletter", Category.MEMBERSHIP: "newsletter", Category.FUNDRAISING: "fundraising",
}
# The purpose a one-click unsubscribe withdraws in the ledger: only where the category *is* the
# purpose (leaving the job offers must not withdraw the newsletter consent; it turns the
# category's email off here).
WITHDRAWS: dict[Category, str] = {Category.NEWSLETTERS: "newsletter", Category.FUNDRAISING: "fundraising"}


@dataclass(frozen=True)
class Preferences:
    """A member's choices: (category, channel) → on/off; anything not chosen is on."""

    choices: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    def allows(self, category: Category, channel: Channel) -> bool:
        return bool(self.choices.get(category.value, {}).get(channel.value, True))

    def table(self) -> dict[str, dict[str, bool]]:
        return {c.value: {ch.value: self.allows(c, ch) for ch in Channel} for c in Category}

    def with_choice(self, category: Category, channel: Channel, on: bool) -> Preferences:
        table = self.table()
        table[category.value][channel.value] = on
        return Preferences(table)


@dataclass(frozen=True)
class MessageClass:
    """What kind of message this is, for the rules below."""

    kind: str
    category: Category
    marketing: bool


def contactable_by_email(contact: Mapping[str, object] | None) -> bool:
    """A known member with an address that does not bounce, not known to be deceased."""
    return contact is not None and bool(contact.get("contactable", True)) and bool(contact.get("email"))


def consent_granted(contact: Mapping[str, object] | None, purpose: str) -> bool:
    """Marketing needs an explicit, current grant (absent = never granted = no)."""
    consents = (contact or {}).get("consents")
    return isinstance(consents, Mapping) and consents.get(purpose) is True


def channels_for(message: MessageClass, contact: Mapping[str, object] | None, prefs: Preferences) -> set[Channel]:
    """The channels a message goes out on (possibly none)."""
    if contact is None or contact.get("deceased"):
        return set()
    if message.marketing and not consent_granted(contact, CONSENT_PURPOSE[message.category]):
        return set()
    out: set[Channel] = set()
    for channel in Channel:
        if message.marketing and not prefs.allows(message.category, channel):
            continue
        if channel is Channel.EMAIL and not contactable_by_email(contact):
            continue
        out.add(channel)
    return out


@dataclass(frozen=True)
class UnsubscribeRequested(DomainEvent):
    member_id: str
    category: str
    purpose: str | None  # the consent purpose to withdraw, if the category is one
    source: str  # one-click (the email's link), complaint (marked as spam at the provider)
    locale: str
    at: datetime


@dataclass(eq=False)
class MemberPreferences(AggregateRoot):
    """A member's notification preferences (id: the member id)."""

    member_id: str = ""
    preferences: Preferences = field(default_factory=Preferences)
    updated_at: datetime | None = None

    def choose(self, choices: Mapping[tuple[Category, Channel], bool], now: datetime) -> None:
        prefs = self.preferences
        for (category, channel), on in choices.items():
            prefs = prefs.with_choice(category, channel, on)
        if prefs.table() != self.preferences.table():
            self.preferences, self.updated_at = prefs, now
            self.version += 1

    def unsubscribe(self, category: Category, source: str, locale: str, now: datetime) -> None:
        """Stop the category's marketing email and withdraw the consent behind it (members
        records the withdrawal in its ledger from the event). A repeated click is recorded once."""
        if not self.preferences.allows(category, Channel.EMAIL) and source == "one-click":
            return
        self.preferences, self.updated_at = self.preferences.with_choice(category, Channel.EMAIL, False), now
        self.record(UnsubscribeRequested(self.member_id, category.value, WITHDRAWS.get(category), source,
                                         locale, now))
