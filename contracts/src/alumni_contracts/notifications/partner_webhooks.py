"""Commands and queries of partner webhooks (notifications service).

A partner system (role `partner`) or a manager of the tenant registers an HTTPS endpoint and
the event types it wants; the platform delivers each event as a CloudEvent over HTTP, signed
per the Standard Webhooks specification, and keeps a delivery log per subscription.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier, Timestamp
from alumni_contracts.text import PersonText

CREATE_PARTNER_WEBHOOK = "create_partner_webhook"
LIST_PARTNER_WEBHOOKS = "list_partner_webhooks"
GET_PARTNER_WEBHOOK = "get_partner_webhook"
DELETE_PARTNER_WEBHOOK = "delete_partner_webhook"
DISABLE_PARTNER_WEBHOOK = "disable_partner_webhook"
ENABLE_PARTNER_WEBHOOK = "enable_partner_webhook"
ROTATE_PARTNER_WEBHOOK_SECRET = "rotate_partner_webhook_secret"
REPLAY_PARTNER_WEBHOOK = "replay_partner_webhook"
LIST_PARTNER_WEBHOOK_DELIVERIES = "list_partner_webhook_deliveries"
LIST_PARTNER_EVENT_TYPES = "list_partner_event_types"

MAX_EVENT_TYPES = 50
EventTypeName = Annotated[str, StringConstraints(pattern=r"^org\.alumni\.[a-z_]+\.[a-z_]+\.v[0-9]+$", max_length=120)]
WebhookUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")]
Description = Annotated[str, PersonText(max_length=200, min_length=0)]


class ContentMode(StrEnum):
    """CloudEvents HTTP binding modes: `structured` (the whole event as
    `application/cloudevents+json`) or `binary` (attributes in `ce-*` headers, `data` as body)."""

    STRUCTURED = "structured"
    BINARY = "binary"


class WebhookStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # an attempt failed; it will be retried
    DEAD = "dead"  # the last attempt failed: dead-lettered, the endpoint disabled
    WITHHELD = "withheld"  # personal data of a member who does not allow partner sharing: not sent


class CreatePartnerWebhook(Request):
    url: WebhookUrl = Field(description="HTTPS endpoint receiving the events (no private, loopback or "
                                        "link-local address, checked after DNS resolution and on every redirect).",
                            examples=["https://crm.example.org/hooks/alumni"])
    event_types: list[EventTypeName] = Field(min_length=1, max_length=MAX_EVENT_TYPES,
                                             description="CloudEvent types to receive (see the event catalogue).",
                                             examples=[["org.alumni.members.member_registered.v2"]])
    mode: ContentMode = Field(ContentMode.STRUCTURED, description="CloudEvents HTTP binding mode.")
    description: Description = Field("", description="What the endpoint is (shown in the console).")


class PartnerWebhookRef(Request):
    webhook_id: Identifier


class ListPartnerWebhooks(Request):
    pass


class ListPartnerEventTypes(Request):
    pass


class RotatePartnerWebhookSecret(Request):
    webhook_id: Identifier
    overlap_hours: int = Field(24, ge=0, le=168, description=(
        "Hours during which deliveries carry a signature with the old secret too (0: revoke it now)."))


class ReplayStart(Request):
    """Replay from a stream sequence (`stream` + `from_sequence`) or from a date (`from_time`,
    every stream the subscription covers). Deliveries of a replay carry the original event ids."""

    from_time: Timestamp | None = Field(None, description="Replay events published at or after this instant.")
    stream: Annotated[str, StringConstraints(pattern=r"^EVT_[A-Z]+$")] | None = Field(
        None, description="Stream of `from_sequence` (e.g. `EVT_MEMBERS`).")
    from_sequence: int | None = Field(None, ge=1, description="Replay that stream from this sequence.")

    @model_validator(mode="after")
    def _one_start(self) -> ReplayStart:
        by_sequence = self.from_sequence is not None or self.stream is not None
        if by_sequence == (self.from_time is not None):
            raise ValueError("give either from_time, or stream and from_sequence")
        if by_sequence and (self.from_sequence is None or self.stream is None):
            raise ValueError("a replay by sequence needs both stream and from_sequence")
        return self


class ReplayPartnerWebhook(ReplayStart):
    webhook_id: Identifier


class ListPartnerWebhookDeliveries(Request):
    webhook_id: Identifier
    limit: int = Field(50, ge=1, le=200)
    before: Annotated[str, StringConstraints(max_length=80, pattern=r"^[A-Za-z0-9_:.-]+$")] | None = Field(
        None, description="Cursor: `next` of the previous page.")


class SecretOut(Result):
    secret_id: str
    created_at: AwareDatetime
    expires_at: AwareDatetime | None = Field(None, description="End of the overlap of a rotated-out secret.")


class PartnerWebhookOut(Result):
    webhook_id: str
    url: str
    event_types: list[str]
    mode: ContentMode
    description: str
    status: WebhookStatus
    disabled_reason: str | None = None
    owner: str = Field(description="Token subject of who registered it.")
    created_at: AwareDatetime
    secrets: list[SecretOut] = Field(description="Signing secrets in use (never their value).")
    secret: str | None = Field(None, description="The new signing secret (`whsec_…`): shown once, on creation "
                                                "and rotation.")
    replay: str | None = Field(None, description="The replay in progress, if any.")


class PartnerWebhookList(Result):
    items: list[PartnerWebhookOut]


class PartnerEventTypes(Result):
    items: list[str]


class DeliveryOut(Result):
    event_id: str
    event_type: str
    stream: str
    stream_sequence: int
    attempt: int
    outcome: DeliveryOutcome
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
    replay: bool = False
    at: AwareDatetime


class DeliveryPage(Result):
    items: list[DeliveryOut]
    next: str | None = None


class Deleted(Result):
    webhook_id: str
    deleted: bool = True
