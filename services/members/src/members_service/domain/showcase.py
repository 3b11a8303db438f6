"""The showcase of notable alumni: published only within the scope the alumnus consented to.

The consent names the fields that may be shown, the channels they may be shown on (school
website, brochures, partners) and an expiry date. The public entry is computed from the
profile *and* that scope, so a field outside the scope can never leak, and it disappears as
soon as the consent is withdrawn or expires.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from members_service.domain.profile import Cohort


class ShowcaseField(StrEnum):
    NAME = "name"  # first and last (or usage) name
    COHORT = "cohort"
    PHOTO = "photo"
    QUOTE = "quote"
    STORY = "story"
    EMPLOYER = "employer"  # employer and job title


class ShowcaseChannel(StrEnum):
    WEBSITE = "website"  # the school's website (the public endpoint)
    BROCHURES = "brochures"  # printed material
    PARTNERS = "partners"  # partner organisations' sites


@dataclass(frozen=True)
class ShowcaseScope:
    fields: frozenset[ShowcaseField]
    channels: frozenset[ShowcaseChannel]
    expires_at: datetime

    def __post_init__(self) -> None:
        # Millisecond precision, as stored: a reloaded scope must equal the one consented to.
        object.__setattr__(self, "expires_at", self.expires_at.replace(
            microsecond=self.expires_at.microsecond // 1000 * 1000))

    def active(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class ShowcaseProfile:
    """What the alumnus wrote for the showcase; the photo and employer default to the profile's."""

    quote: str | None = None
    story: str | None = None
    photo_url: str | None = None
    employer: str | None = None
    job_title: str | None = None


@dataclass(frozen=True)
class PublicShowcase:
    """The published entry: only consented fields are set; the rest are None."""

    entry_id: str
    channels: frozenset[ShowcaseChannel]
    expires_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    cohort: Cohort | None = None
    photo_url: str | None = None
    quote: str | None = None
    story: str | None = None
    employer: str | None = None
    job_title: str | None = None


class ShowcaseEnded(StrEnum):
    """Why an entry was unpublished."""

    WITHDRAWN = "consent-withdrawn"
    EXPIRED = "consent-expired"
    PROFILE_REMOVED = "profile-removed"
    DECEASED = "deceased"
    ERASED = "erased"


def entry_id(tenant: str, member_id: str) -> str:
    """A stable public id that is not the member id (which the public has no use for)."""
    return hashlib.sha256(f"showcase:{tenant}:{member_id}".encode()).hexdigest()[:20]


def public_entry(*, tenant: str, member_id: str, display_first: str, display_last: str, cohort: Cohort,
                 profile_photo: str | None, current_employer: tuple[str, str] | None,
                 showcase: ShowcaseProfile, scope: ShowcaseScope) -> PublicShowcase:
    f = scope.fields
    employer = (showcase.employer, showcase.job_title) if showcase.employer else current_employer
    return PublicShowcase(
        entry_id=entry_id(tenant, member_id), channels=scope.channels, expires_at=scope.expires_at,
        first_name=display_first if ShowcaseField.NAME in f else None,
        last_name=display_last if ShowcaseField.NAME in f else None,
        cohort=cohort if ShowcaseField.COHORT in f else None,
        photo_url=(showcase.photo_url or profile_photo) if ShowcaseField.PHOTO in f else None,
        quote=showcase.quote if ShowcaseField.QUOTE in f else None,
        story=showcase.story if ShowcaseField.STORY in f else None,
        employer=employer[0] if employer and ShowcaseField.EMPLOYER in f else None,
        job_title=employer[1] if employer and ShowcaseField.EMPLOYER in f else None,
    )
