"""Newsletters to segments (issue 13 item 4): requests and replies of `/api/v1/newsletters`,
and the two events the notifications service publishes about them (v1)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier, Locale, Purpose, Timestamp
from alumni_contracts.envelope import EventData
from alumni_contracts.segments import MarketingSegment, Segment
from alumni_contracts.text import PersonText, ShortText

CREATE_NEWSLETTER = "create_newsletter"
UPDATE_NEWSLETTER = "update_newsletter"
SEND_NEWSLETTER = "send_newsletter"
CANCEL_NEWSLETTER = "cancel_newsletter"
GET_NEWSLETTER = "get_newsletter"
LIST_NEWSLETTERS = "list_newsletters"
PREVIEW_NEWSLETTER = "preview_newsletter"

MAX_MARKDOWN = 50_000
# Markdown is person text too: NFC, no control characters or bidirectional overrides; line breaks kept.
Markdown = Annotated[str, PersonText(max_length=MAX_MARKDOWN, multiline=True)]


class NewsletterStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class NewsletterSegment(MarketingSegment):
    """A newsletter's segment: a marketing segment whose consent is the newsletter one."""

    consent_purpose: Purpose = Field(  # type: ignore[assignment]
        Purpose.NEWSLETTER, description="Always `newsletter`: only members who agreed to receive newsletters.",
        examples=["newsletter"])

    @field_validator("consent_purpose")
    @classmethod
    def _newsletter(cls, value: Purpose) -> Purpose:
        if value is not Purpose.NEWSLETTER:
            raise ValueError("a newsletter goes only to members who consented to newsletters")
        return value


class NewsletterContent(Request):
    """Subject and Markdown body in French and/or English (at least one language, complete).
    The Markdown is rendered to sanitised HTML; raw HTML in it is shown as text."""

    subject_fr: ShortText | None = Field(None, description="Subject in French.", examples=["Les nouvelles de la promo"])
    subject_en: ShortText | None = Field(None, description="Subject in English.", examples=["News from your class"])
    body_fr: Markdown | None = Field(None, description="Body in French (Markdown).",
                                examples=["## Bonjour !\n\nLe gala a lieu le **12 juin**."])
    body_en: Markdown | None = Field(None, description="Body in English (Markdown).",
                                examples=["## Hello!\n\nThe gala is on **12 June**."])

    @model_validator(mode="after")
    def _complete_languages(self) -> NewsletterContent:
        fr, en = (self.subject_fr, self.body_fr), (self.subject_en, self.body_en)
        for lang, (subject, body) in (("fr", fr), ("en", en)):
            if (subject is None) != (body is None):
                raise ValueError(f"give both the subject and the body in {lang}, or neither")
        if self.subject_fr is None and self.subject_en is None:
            raise ValueError("give the newsletter in French, English or both")
        return self


class CreateNewsletter(NewsletterContent):
    segment: NewsletterSegment = Field(description="Who receives it (see the segment contract).")


class UpdateNewsletter(NewsletterContent):
    newsletter_id: Identifier
    segment: NewsletterSegment


class NewsletterRef(Request):
    newsletter_id: Identifier


class SendNewsletter(Request):
    newsletter_id: Identifier
    send_at: Timestamp | None = Field(None, description="When to send (UTC); absent: now.")


class ListNewsletters(Request):
    limit: int = Field(50, ge=1, le=200)


class PreviewNewsletter(Request):
    newsletter_id: Identifier
    locale: Locale = Field(Locale.FR, description="Language of the sample.")


class NewsletterFigures(Result):
    recipients: int = Field(description="Members queued for it (one message each).")
    sent: int = Field(description="Accepted by the SMTP server.")
    bounced: int = Field(description="Refused for good (hard bounce or repeated failures).")
    pending: int = Field(description="Queued, not yet sent.")
    unsubscribed: int = Field(description=(
        "Recipients whose newsletter consent was withdrawn (one-click or member area) while this was the last "
        "newsletter sent to them: counted as it happens, once per recipient."))


class NewsletterOut(Result):
    newsletter_id: str
    status: NewsletterStatus
    subject_fr: str | None = None
    subject_en: str | None = None
    body_fr: str | None = None
    body_en: str | None = None
    segment: Segment
    send_at: AwareDatetime | None = None
    created_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    figures: NewsletterFigures


class NewsletterList(Result):
    items: list[NewsletterOut]


class NewsletterPreview(Result):
    recipients: int = Field(description="Members of the segment who can be emailed now.")
    in_segment: int = Field(description="Members of the segment, reachable or not.")
    locale: Locale
    subject: str
    html: str = Field(description="The sample's sanitised HTML body (what the Markdown renders to).")
    text: str = Field(description="The plain-text part.")


# -- events ----------------------------------------------------------------------------------

class NewsletterScheduled(EventData):
    """A manager scheduled a newsletter (to go now or at `send_at`) to a segment."""

    service = "notifications"
    event_name = "newsletter_scheduled"
    version = 1

    newsletter_id: Identifier = Field(description="Newsletter id (UUIDv7).",
                                      examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    send_at: AwareDatetime = Field(description="When the fan-out starts (UTC).")
    segment: Segment = Field(description="Who it is for.")
    languages: list[Locale] = Field(description="Languages it is written in.", examples=[["fr", "en"]])


class NewsletterFannedOut(EventData):
    """Every recipient of a newsletter has their message queued (delivery follows, one
    `notification_sent` per message)."""

    service = "notifications"
    event_name = "newsletter_fanned_out"
    version = 1

    newsletter_id: Identifier = Field(description="Newsletter id.", examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"])
    recipients: int = Field(ge=0, description="Messages queued.", examples=[1250])
    completed_at: AwareDatetime = Field(description="When the last one was queued (UTC).")
