"""Events published by the notifications service, major version 1."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from alumni_contracts.common import Identifier
from alumni_contracts.envelope import EventData
from alumni_contracts.privacy import MemberDataErasedBase


class NotificationSent(EventData):
    """A message was handed over to the delivery channel (SMTP server accepted it)."""

    service = "notifications"
    event_name = "notification_sent"
    version = 1

    notification_id: Identifier = Field(description="Notification id; also its delivery key.",
                                        examples=["welcome-01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    member_id: Identifier = Field(description="Recipient's member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    channel: Literal["email"] = Field(description="Delivery channel.", examples=["email"])
    template: str = Field(description="Template name.", examples=["welcome"])
    locale: str = Field(description="Language the message was rendered in.", examples=["fr"])
    sent_at: AwareDatetime = Field(description="When the channel accepted the message (UTC).")


class UnsubscribeRequested(EventData):
    """A member asked to stop a category's marketing email (the one-click link in an email, or a
    spam complaint at the provider). `purpose`, when set, is the consent to withdraw: members
    records the withdrawal in its ledger (and publishes `member_consent_changed`)."""

    service = "notifications"
    event_name = "unsubscribe_requested"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    category: str = Field(description="Notification category turned off for email.", examples=["newsletters"])
    purpose: str | None = Field(description="Consent purpose to withdraw, if the category is one.",
                                examples=["newsletter"])
    source: Literal["one-click", "complaint"] = Field(description="How it was asked.", examples=["one-click"])
    language: Literal["fr", "en"] = Field(description="Language of the page or message.", examples=["fr"])
    requested_at: AwareDatetime = Field(description="When (UTC).")


class EmailAddressInvalidated(EventData):
    """Email to this member's address bounces for good (a hard bounce, or repeated soft ones):
    members sets the member's `email_bounced` flag if it is still their address."""

    service = "notifications"
    event_name = "email_address_invalidated"
    version = 1

    member_id: Identifier = Field(description="Member id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    email: str = Field(description="The address that bounces.", examples=["beatrice.dupont@example.org"])
    reason: Literal["hard-bounce", "repeated-soft-bounces"] = Field(description="Why.", examples=["hard-bounce"])
    bounces: int = Field(description="Bounces counted.", examples=[1])
    invalidated_at: AwareDatetime = Field(description="When (UTC).")


class MemberDataErased(MemberDataErasedBase):
    """The notifications service erased a member's contact data and message history."""

    service = "notifications"
    event_name = "member_data_erased"
    version = 1


class PartnerWebhookDisabled(EventData):
    """A partner webhook endpoint was disabled: by hand, or automatically after an event was
    dead-lettered (every retry failed). The tenant's managers are told; enabling it again
    resumes delivery after the dead-lettered event (replay it to send it again)."""

    service = "notifications"
    event_name = "partner_webhook_disabled"
    version = 1

    webhook_id: Identifier = Field(description="The subscription.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    host: str = Field(description="Host name of the endpoint.", examples=["crm.example.org"])
    automatic: bool = Field(description="True when disabled after a dead letter, false when by hand.",
                            examples=[True])
    reason: str = Field(description="Why (the last error for an automatic disable).",
                        examples=["HTTP 500 after 8 attempts"])
    dead_event_id: str | None = Field(None, description="The dead-lettered event, if any.",
                                      examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b12"])
    disabled_at: AwareDatetime = Field(description="When (UTC).")
