"""Who sees what in the directory. Pure rules: the query adapter and the result shaping both
come from here, so a filter can never reveal what a card would hide."""

from __future__ import annotations

from dataclasses import dataclass

from members_service.domain.model import Member
from members_service.domain.profile import Cohort, Education, Position, Section, Visibility


@dataclass(frozen=True)
class Viewer:
    member_id: str | None
    staff: bool  # managers and admins of the tenant


def can_see(member: Member, section: Section, viewer: Viewer) -> bool:
    if viewer.staff or viewer.member_id == member.id:
        return True
    return member.visibility.get(section) is Visibility.ALUMNI


def searchable_by(section: Section, viewer: Viewer) -> Visibility | None:
    """The visibility a member must have chosen for a viewer's filter on `section` to match
    them (None: no restriction). Filtering on a hidden field would reveal it."""
    return None if viewer.staff else Visibility.ALUMNI


@dataclass(frozen=True)
class DirectoryCard:
    """A directory entry as one viewer may see it; `None` means "not for you"."""

    member_id: str
    first_name: str
    last_name: str
    usage_name: str | None
    cohorts: tuple[Cohort, ...]
    education: tuple[Education, ...] | None = None
    email: str | None = None
    phone: str | None = None
    photo_url: str | None = None
    linkedin_url: str | None = None
    city: str | None = None
    country: str | None = None
    career: tuple[Position, ...] | None = None


def directory_card(member: Member, viewer: Viewer) -> DirectoryCard:
    def shown(section: Section) -> bool:
        return can_see(member, section, viewer)

    return DirectoryCard(
        member_id=member.id, first_name=member.first_name, last_name=member.last_name,
        usage_name=member.usage_name, cohorts=tuple(e.cohort for e in member.education),
        education=member.education if shown(Section.EDUCATION) else None,
        email=member.email if shown(Section.EMAIL) else None,
        phone=member.phone if shown(Section.PHONE) else None,
        photo_url=member.photo_url if shown(Section.PHOTO) else None,
        linkedin_url=member.linkedin_url if shown(Section.LINKEDIN) else None,
        city=member.city if shown(Section.LOCATION) else None,
        country=member.country if shown(Section.LOCATION) else None,
        career=member.career if shown(Section.CAREER) else None,
    )
