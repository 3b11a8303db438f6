"""Type + version → model; bytes → typed envelope. Unknown types are a permanent error."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from alumni_contracts.envelope import CloudEvent, EventData


class UnknownEventType(ValueError):
    """The message carries a `type` this registry does not know: never retry it."""


class MalformedEvent(ValueError):
    """The bytes are not a valid CloudEvent of a known type: never retry it."""


class EventRegistry:
    def __init__(self) -> None:
        self._by_type: dict[str, type[EventData]] = {}

    def register(self, model: type[EventData]) -> type[EventData]:
        type_name = model.type_name()
        existing = self._by_type.get(type_name)
        if existing is not None and existing is not model:
            raise ValueError(f"{type_name} is already registered by {existing.__qualname__}")
        self._by_type[type_name] = model
        return model

    def model_for(self, type_name: str) -> type[EventData]:
        try:
            return self._by_type[type_name]
        except KeyError:
            raise UnknownEventType(f"unknown event type {type_name!r}") from None

    def models(self) -> list[type[EventData]]:
        return sorted(self._by_type.values(), key=lambda m: m.type_name())

    def parse(self, raw: bytes | str) -> CloudEvent[Any]:
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedEvent(f"not JSON: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("type"), str):
            raise MalformedEvent("not a CloudEvent: no string `type` attribute")
        model = self.model_for(document["type"])
        try:
            return CloudEvent[model].model_validate(document)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise MalformedEvent(f"invalid {model.type_name()}: {exc}") from None


REGISTRY = EventRegistry()


def _register_all() -> None:
    # Imported here so that importing the registry registers every published contract.
    from alumni_contracts.community import v1 as community_v1
    from alumni_contracts.events import desk_v1
    from alumni_contracts.events import v1 as events_v1
    from alumni_contracts.fundraising import receipts as fundraising_receipts
    from alumni_contracts.fundraising import v1 as fundraising_v1
    from alumni_contracts.members import membership_v1
    from alumni_contracts.members import v2 as members_v2
    from alumni_contracts.members.v1 import (
        AmbassadorAppointed,
        AmbassadorRevoked,
        GroupCreated,
        GroupMembershipChanged,
        MemberConsentChanged,
        MemberErased,
        MemberErasureRequested,
        MemberProfileUpdated,
        MemberRegistered,
        ShowcasePublished,
        ShowcaseUnpublished,
    )
    from alumni_contracts.notifications import newsletters
    from alumni_contracts.notifications import v1 as notifications_v1

    for model in (MemberRegistered, MemberProfileUpdated, members_v2.MemberRegistered,
                  members_v2.MemberProfileUpdated, MemberConsentChanged, ShowcasePublished,
                  ShowcaseUnpublished, AmbassadorAppointed, AmbassadorRevoked, MemberErasureRequested, MemberErased,
                  GroupCreated, GroupMembershipChanged,
                  fundraising_v1.DonationReceived,
                  fundraising_v1.DuesPaid, fundraising_v1.DuesPaymentFailed, fundraising_v1.TicketPaid,
                  fundraising_v1.TicketPaymentFailed, fundraising_v1.DuesRefunded,
                  fundraising_v1.MemberDataErased, notifications_v1.NotificationSent,
                  notifications_v1.MemberDataErased, notifications_v1.UnsubscribeRequested,
                  notifications_v1.EmailAddressInvalidated, newsletters.NewsletterScheduled,
                  newsletters.NewsletterFannedOut, notifications_v1.PartnerWebhookDisabled):
        REGISTRY.register(model)
    for gift_event in fundraising_v1.GIFT_EVENTS:
        if gift_event is not fundraising_v1.DonationReceived:
            REGISTRY.register(gift_event)
    for membership_event in membership_v1.ALL:
        REGISTRY.register(membership_event)
    for events_event in events_v1.ALL:
        REGISTRY.register(events_event)
    for desk_event in desk_v1.ALL:
        REGISTRY.register(desk_event)
    for receipt_event in fundraising_receipts.ALL:
        REGISTRY.register(receipt_event)
    for community_event in community_v1.ALL:
        REGISTRY.register(community_event)


_register_all()
