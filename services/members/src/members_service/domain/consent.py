"""Consents: an append-only ledger per purpose; the member keeps the latest record of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from members_service.domain.showcase import ShowcaseScope


class Purpose(StrEnum):
    DIRECTORY = "directory"  # appear in the alumni directory (opt-in, CNIL)
    SHOWCASE = "showcase"  # be featured as a notable alumnus
    NEWSLETTER = "newsletter"
    PARTNERS = "partners"  # data shared with partner organisations
    SURVEYS = "surveys"
    FUNDRAISING = "fundraising"  # fundraising solicitations


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    CONSOLE = "console"  # recorded by staff (e.g. a paper form)
    IMPORT = "import"
    EMAIL = "email"  # the one-click unsubscribe link of an email (or a spam complaint), via notifications


@dataclass(frozen=True)
class ConsentRecord:
    """One grant or withdrawal, with the exact text version and language shown."""

    purpose: Purpose
    granted: bool
    text_version: str
    language: str
    channel: Channel
    actor: str  # who recorded it: the member's subject, or a staff member's
    actor_role: str
    at: datetime
    scope: ShowcaseScope | None = None  # showcase only: fields, channels and expiry consented to
