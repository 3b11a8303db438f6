"""Who sees what in the directory. Pure rules: the query adapter and the result shaping both
come from here, so a filter can never reveal what a card would hide."""

from __future__ import annotations

from dataclasses import dataclass

from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.model import Member
from members_service.domain.profile import (
    Cohort,
    Education,
    Position,
    Section,
    Visibility,
    name_key,
    name_parts,
    search_key,
)


@dataclass(frozen=True)
class Viewer:
    member_id: str | None
    staff: bool  # managers and admins of the tenant


def can_see(member: Member, section: Section, viewer: Viewer) -> bool:
    if viewer.staff or viewer.member_id == member.id:
        return True
    return member.visibility.get(section) is Visibility.ALUMNI


@dataclass(frozen=True)
class DirectoryCriteria:
    """What a directory search asks for; every text is matched accent- and case-insensitively."""

    name_prefix: str | None = None
    program: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    employer_prefix: str | None = None
    sector: str | None = None
    city: str | None = None
    country: str | None = None
    ambassadors_only: bool = False


def name_keys(member: Member) -> set[str]:
    """Folded names (`name_key`) and the parts of compound names: `pierre` finds Jean-Pierre."""
    keys: set[str] = set()
    for name in (member.first_name, member.last_name, member.usage_name, member.birth_name):
        if name:
            keys.add(name_key(name))
            keys.update(name_parts(name))
    return keys


# One or two letters match the start of last names only (a phone book); three or more match
# any name or part of a compound name.
ANY_NAME_MIN_PREFIX = 3


def _name_matches(member: Member, prefix: str) -> bool:
    if len(prefix) < ANY_NAME_MIN_PREFIX:
        return name_key(member.last_name).startswith(prefix)
    return any(k.startswith(prefix) for k in name_keys(member))


def list_matches(member: Member, text: str) -> bool:
    """The staff member list's search: the first word is a name prefix as in the directory (from
    three letters on also the start of an email address); every further word must start one of
    the member's names (`marie dup` finds Marie Dupont)."""
    typed, *further = search_key(text).split() or [""]
    first, rest = name_key(typed), [key for word in further if (key := name_key(word))]
    if not (_name_matches(member, first)
            or (len(typed) >= ANY_NAME_MIN_PREFIX and any(e.address.startswith(typed) for e in member.emails))):
        return False
    keys = name_keys(member)
    return all(any(k.startswith(word) for k in keys) for word in rest)


def _in_cohorts(education: Education, c: DirectoryCriteria) -> bool:
    return ((not c.program or education.program == c.program)
            and (not c.year_from or education.graduation_year >= c.year_from)
            and (not c.year_to or education.graduation_year <= c.year_to))


def can_be_listed_to(member: Member, viewer: Viewer) -> bool:
    """Listings (directory, group members) show alumni only the members who opted in."""
    return viewer.staff or viewer.member_id == member.id or member.listed


def matches(member: Member, criteria: DirectoryCriteria, viewer: Viewer) -> bool:
    """Whether `viewer` finds `member` with `criteria`. Alumni find only listed members, and a
    filter on a section matches only where that section is visible to the viewer: filtering on
    a hidden field would reveal it."""
    if not viewer.staff and not member.listed:
        return False
    c = criteria
    if c.ambassadors_only and member.ambassador is None:
        return False
    if c.name_prefix and not _name_matches(member, name_key(c.name_prefix)):
        return False
    if (c.program or c.year_from or c.year_to) and not any(_in_cohorts(e, c) for e in member.education):
        return False
    if c.employer_prefix or c.sector:
        if not can_see(member, Section.CAREER, viewer):
            return False
        current = [p for p in member.career if p.current]
        if c.employer_prefix and not any(search_key(p.employer).startswith(search_key(c.employer_prefix))
                                         for p in current):
            return False
        if c.sector and not any(p.sector == c.sector for p in current):
            return False
    if c.city or c.country:
        if not can_see(member, Section.LOCATION, viewer):
            return False
        if c.city and search_key(member.city or "") != search_key(c.city):
            return False
        if c.country and member.country != c.country:
            return False
    return True


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
    ambassador: AmbassadorScope | None = None  # a public role: shown to every viewer


def directory_card(member: Member, viewer: Viewer) -> DirectoryCard:
    def shown(section: Section) -> bool:
        return can_see(member, section, viewer)

    return DirectoryCard(
        member_id=member.id, first_name=member.first_name, last_name=member.last_name,
        usage_name=member.usage_name, cohorts=tuple(e.cohort for e in member.education),
        education=member.education if shown(Section.EDUCATION) else None,
        email=(member.email or None) if shown(Section.EMAIL) else None,
        phone=member.phone if shown(Section.PHONE) else None,
        photo_url=member.photo_url if shown(Section.PHOTO) else None,
        linkedin_url=member.linkedin_url if shown(Section.LINKEDIN) else None,
        city=member.city if shown(Section.LOCATION) else None,
        country=member.country if shown(Section.LOCATION) else None,
        career=member.career if shown(Section.CAREER) else None,
        ambassador=member.ambassador.scope if member.ambassador else None,
    )
