"""Requests and replies of the notifications service: the in-app feed, preferences,
one-click unsubscribe, the email provider's bounce webhook and contactability."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from alumni_contracts._requests import Request, Result

_Token = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]

LIST_MY_NOTIFICATIONS = "list_my_notifications"
MARK_NOTIFICATIONS_READ = "mark_notifications_read"
GET_MY_PREFERENCES = "get_my_preferences"
SET_MY_PREFERENCES = "set_my_preferences"
CHECK_UNSUBSCRIBE = "check_unsubscribe"
CHECK_RSVP_LINK = "check_rsvp_link"
UNSUBSCRIBE = "unsubscribe"
RECEIVE_BOUNCE_WEBHOOK = "receive_bounce_webhook"
GET_CONTACTABILITY = "get_contactability"

MAX_BOUNCE_PAYLOAD = 64 * 1024
FeedCursor = str  # opaque, base64url
UnsubscribeToken = str


class NotificationCategory(StrEnum):
    EVENTS = "events"
    NEWSLETTERS = "newsletters"
    JOBS = "jobs"
    FUNDRAISING = "fundraising"
    MEMBERSHIP = "membership"
    COMMUNITY = "community"


class NotificationChannel(StrEnum):
    EMAIL = "email"
    IN_APP = "in_app"


class ListMyNotifications(Request):
    limit: int = Field(20, ge=1, le=100, description="Items per page.")
    after: _Token | None = Field(None, description="Cursor: the previous page's `next_cursor`.")


class FeedItemOut(Result):
    notification_id: str = Field(description="The item's id (its delivery key).")
    kind: str = Field(description="Message kind (template name).", examples=["welcome"])
    category: NotificationCategory
    title: str
    body: str = Field(description="Plain text.")
    locale: str
    created_at: AwareDatetime
    read_at: AwareDatetime | None = None


class NotificationFeedPage(Result):
    items: list[FeedItemOut]
    unread: int = Field(description="Unread items in the whole feed.")
    next_cursor: str | None = None


class MarkNotificationsRead(Request):
    notification_ids: list[_Token] = Field(default_factory=list, max_length=100,
                                        description="Items to mark read (yours only); empty with `all`.")
    all: bool = Field(False, description="Mark the whole feed read.")


class NotificationsMarkedRead(Result):
    marked: int
    unread: int


class PreferenceChoice(Request):
    category: NotificationCategory
    channel: NotificationChannel
    enabled: bool


class GetMyPreferences(Request):
    pass


class SetMyPreferences(Request):
    choices: list[PreferenceChoice] = Field(min_length=1, max_length=12)


class PreferencesOut(Result):
    preferences: dict[NotificationCategory, dict[NotificationChannel, bool]] = Field(
        description="Category → channel → on. Transactional messages (receipts, tickets, certificates, "
                    "security, dues) are sent whatever these say.")
    consents: dict[str, bool] = Field(description="Consent purposes marketing needs, as the ledger says.")


class CheckUnsubscribe(Request):
    token: UnsubscribeToken = Field(min_length=10, max_length=1000, pattern=r"^[A-Za-z0-9_.-]+$")


class UnsubscribeInfo(Result):
    category: NotificationCategory
    locale: Literal["fr", "en"]
    already: bool = Field(description="This category's email is already off.")


class CheckRsvpLink(Request):
    """An invitation email's one-click RSVP link: who may answer which gathering."""

    token: UnsubscribeToken = Field(min_length=10, max_length=1000, pattern=r"^[A-Za-z0-9_.-]+$")


class RsvpLinkInfo(Result):
    event_id: str = Field(description="The gathering the invitation is for.")
    member_id: str = Field(description="The invitee: the link answers for them only.")
    locale: Literal["fr", "en"]
    expires_at: AwareDatetime = Field(description="The link stops working then (the gathering's start).")


class Unsubscribe(Request):
    token: UnsubscribeToken = Field(min_length=10, max_length=1000, pattern=r"^[A-Za-z0-9_.-]+$")


class Unsubscribed(Result):
    category: NotificationCategory
    locale: Literal["fr", "en"]


class ReceiveBounceWebhook(Request):
    """The email provider's bounce/complaint notification, raw body and signature header."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    payload: str = Field(max_length=MAX_BOUNCE_PAYLOAD)
    signature: str = Field(max_length=2000, pattern=r"^[\x20-\x7e]*$")


class BounceHandled(Result):
    outcome: Literal["processed", "duplicate", "ignored"]


class GetContactability(Request):
    pass


class CohortContactability(Result):
    program: str
    graduation_year: int
    alumni: int = Field(description="Alumni of record known to notifications.")
    contactable: int = Field(description="With an email that does not bounce, not deceased.")
    ratio: float = Field(description="contactable ÷ alumni (0–1).")


class ContactabilityReport(Result):
    cohorts: list[CohortContactability]
    alumni: int
    contactable: int
    ratio: float
