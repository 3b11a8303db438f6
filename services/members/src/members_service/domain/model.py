"""The member aggregate: an alumnus in a tenant's register."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from servicekit.domain import AggregateRoot, Conflict, DomainEvent, NotFound, new_id


@dataclass(frozen=True)
class Cohort:
    """Graduating class (*promotion*): program + graduation year."""

    program: str
    graduation_year: int


@dataclass(frozen=True)
class MemberRegistered(DomainEvent):
    member_id: str
    tenant: str
    first_name: str
    last_name: str
    email: str
    locale: str
    cohort: Cohort
    registered_at: datetime


class EmailAlreadyRegistered(Conflict):
    code = "email-already-registered"
    title = "Email already registered"

    def __init__(self, email: str, existing_member_id: str) -> None:
        super().__init__(f"{email} is already registered as member {existing_member_id}")
        self.existing_member_id = existing_member_id


class MemberNotFound(NotFound):
    code = "member-not-found"
    title = "Member not found"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def search_key(text: str) -> str:
    """Lower-cased, accent-folded form used for prefix searches (`bea` finds `Béatrice`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@dataclass(eq=False)
class Member(AggregateRoot):
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    locale: str = "fr"
    cohort: Cohort = Cohort("", 0)
    registered_at: datetime | None = None

    @classmethod
    def register(cls, *, tenant: str, first_name: str, last_name: str, email: str, locale: str,
                 cohort: Cohort, now: datetime) -> Member:
        member = cls(id=new_id(), tenant=tenant, first_name=first_name.strip(), last_name=last_name.strip(),
                     email=normalize_email(email), locale=locale, cohort=cohort, registered_at=now)
        member.record(MemberRegistered(
            member_id=member.id, tenant=tenant, first_name=member.first_name, last_name=member.last_name,
            email=member.email, locale=locale, cohort=cohort, registered_at=now))
        return member
