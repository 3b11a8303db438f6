"""The member aggregate: an alumnus in a tenant's register, with the privacy choices they made."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from members_service.domain.ambassador import AmbassadorScope, Ambassadorship
from members_service.domain.consent import ConsentRecord, Purpose
from members_service.domain.profile import (
    DEFAULT_VISIBILITY,
    Cohort,
    DeceasedStatus,
    Education,
    EmailAddress,
    Position,
    Section,
    Visibility,
    normalize_email,
)
from members_service.domain.showcase import PublicShowcase, ShowcaseEnded, ShowcaseProfile, public_entry
from servicekit.domain import AggregateRoot, Conflict, DomainError, DomainEvent, Forbidden, NotFound, new_id


@dataclass(frozen=True)
class MemberRegistered(DomainEvent):
    member_id: str
    tenant: str
    first_name: str
    last_name: str
    email: str | None  # None: imported from a register that had none (never through registration)
    locale: str
    cohort: Cohort
    registered_at: datetime
    origin: str = "registration"  # or "import": no welcome email for a register handed over in bulk


@dataclass(frozen=True)
class MemberProfileUpdated(DomainEvent):
    """What other services keep of a member changed (names, contact, cohorts, contactability)."""

    member: Member
    at: datetime


@dataclass(frozen=True)
class VisibilityChanged(DomainEvent):
    """Internal: directory choices; no other service needs them."""

    visibility: dict[Section, Visibility]


@dataclass(frozen=True)
class ConsentChanged(DomainEvent):
    member_id: str
    record: ConsentRecord


@dataclass(frozen=True)
class ShowcaseTextChanged(DomainEvent):
    """Internal: the text changed; what the public sees is `ShowcasePublished`."""

    showcase: ShowcaseProfile | None


@dataclass(frozen=True)
class ShowcasePublished(DomainEvent):
    """Published or updated: `entry` carries only the consented fields."""

    member_id: str
    entry: PublicShowcase
    at: datetime


@dataclass(frozen=True)
class ShowcaseUnpublished(DomainEvent):
    member_id: str
    entry_id: str
    reason: ShowcaseEnded
    at: datetime


@dataclass(frozen=True)
class AmbassadorAppointed(DomainEvent):
    """Appointed, or their scope changed."""

    member_id: str
    ambassadorship: Ambassadorship


@dataclass(frozen=True)
class AmbassadorRevoked(DomainEvent):
    member_id: str
    revoked_by: str
    at: datetime


class EmailAlreadyRegistered(Conflict):
    code = "email-already-registered"
    title = "Email already registered"

    def __init__(self, email: str, existing_member_id: str) -> None:
        super().__init__(f"{email} is already registered as member {existing_member_id}")
        self.existing_member_id = existing_member_id


class MemberNotFound(NotFound):
    code = "member-not-found"
    title = "Member not found"


class InvalidProfile(DomainError):
    code = "invalid-profile"
    title = "Invalid profile"


class InvalidConsent(DomainError):
    code = "invalid-consent"
    title = "Invalid consent"


class NotAnAmbassador(Conflict):
    code = "not-an-ambassador"
    title = "Not an ambassador"


class NotAllowed(Forbidden):
    code = "forbidden"
    title = "Forbidden"


@dataclass(frozen=True)
class ProfileChanges:
    """A partial update: `None` leaves a field as it is; lists replace the whole list."""

    first_name: str | None = None
    last_name: str | None = None
    usage_name: str | None = None
    birth_name: str | None = None
    emails: tuple[EmailAddress, ...] | None = None
    phone: str | None = None
    locale: str | None = None
    photo_url: str | None = None
    linkedin_url: str | None = None
    city: str | None = None
    country: str | None = None
    education: tuple[Education, ...] | None = None
    career: tuple[Position, ...] | None = None
    birth_date: date | None = None  # imports only (not editable through the API yet)


class HygieneFlag(StrEnum):
    """What the office should fix or know about a record."""

    MISSING_EMAIL = "missing-email"  # cannot be contacted by email (often older alumni)
    EMAIL_BOUNCED = "email-bounced"
    MAIL_RETURNED = "mail-returned"


@dataclass(eq=False)
class Member(AggregateRoot):
    first_name: str = ""
    last_name: str = ""
    usage_name: str | None = None  # *nom d'usage*
    birth_name: str | None = None  # *nom de naissance*
    birth_date: date | None = None  # from imports: tells namesakes of a class apart
    emails: tuple[EmailAddress, ...] = ()
    phone: str | None = None
    locale: str = "fr"
    photo_url: str | None = None
    linkedin_url: str | None = None
    city: str | None = None
    country: str | None = None
    education: tuple[Education, ...] = ()
    career: tuple[Position, ...] = ()
    email_bounced: bool = False
    mail_returned: bool = False  # *NPAI*: postal mail came back
    deceased: DeceasedStatus = DeceasedStatus.NO
    deceased_suggested_by: str | None = None
    visibility: dict[Section, Visibility] = field(default_factory=lambda: dict(DEFAULT_VISIBILITY))
    consents: dict[Purpose, ConsentRecord] = field(default_factory=dict)
    registered_at: datetime | None = None
    showcase: ShowcaseProfile | None = None
    showcase_public: PublicShowcase | None = None  # what is published now (None: nothing)
    ambassador: Ambassadorship | None = None
    # Profile fields (`ProfileChanges` names) whose last change was the member's own: an import
    # never overwrites them on its own (the row goes to review; a manager's merge may).
    self_edited: frozenset[str] = frozenset()

    # -- reading -------------------------------------------------------------------------
    @property
    def email(self) -> str:
        return next((e.address for e in self.emails if e.primary), self.emails[0].address if self.emails else "")

    @property
    def hygiene(self) -> list[HygieneFlag]:
        flags = [HygieneFlag.MISSING_EMAIL] if not self.emails else []
        if self.email_bounced:
            flags.append(HygieneFlag.EMAIL_BOUNCED)
        if self.mail_returned:
            flags.append(HygieneFlag.MAIL_RETURNED)
        return flags

    @property
    def cohort(self) -> Cohort:
        return self.education[0].cohort if self.education else Cohort("", 0)

    @property
    def listed(self) -> bool:
        """In the directory only after opting in (CNIL), and never once known deceased."""
        consent = self.consents.get(Purpose.DIRECTORY)
        return bool(consent and consent.granted) and self.deceased is not DeceasedStatus.CONFIRMED

    def consented(self, purpose: Purpose) -> bool:
        consent = self.consents.get(purpose)
        return bool(consent and consent.granted)

    def display_names(self) -> tuple[str, str]:
        return self.first_name, self.usage_name or self.last_name

    def showcase_entry(self, now: datetime) -> PublicShowcase | None:
        """What may be published now: a showcase profile, under a live, unexpired consent."""
        consent = self.consents.get(Purpose.SHOWCASE)
        if self.showcase is None or consent is None or not consent.granted or consent.scope is None \
                or not consent.scope.active(now) or self.deceased is DeceasedStatus.CONFIRMED:
            return None
        current = next((p for p in self.career if p.current), None)
        first, last = self.display_names()
        return public_entry(
            tenant=self.tenant, member_id=self.id, display_first=first, display_last=last, cohort=self.cohort,
            profile_photo=self.photo_url, current_employer=(current.employer, current.job_title) if current else None,
            showcase=self.showcase, scope=consent.scope)

    # -- changes -------------------------------------------------------------------------
    @classmethod
    def register(cls, *, tenant: str, first_name: str, last_name: str, email: str | None, locale: str,
                 cohort: Cohort, now: datetime, member_id: str | None = None, origin: str = "registration") -> Member:
        """`email` None: a member imported without one (registration always has one)."""
        member = cls(id=member_id or new_id(), tenant=tenant, first_name=first_name.strip(),
                     last_name=last_name.strip(), emails=(EmailAddress(normalize_email(email), True),) if email else (),
                     locale=locale,
                     education=(Education(cohort.program, cohort.graduation_year),), registered_at=now)
        member.record(MemberRegistered(
            member_id=member.id, tenant=tenant, first_name=member.first_name, last_name=member.last_name,
            email=member.email or None, locale=locale, cohort=cohort, registered_at=now, origin=origin))
        return member

    def fill_imported_profile(self, *, usage_name: str | None, birth_name: str | None, phone: str | None,
                              city: str | None, country: str | None, linkedin_url: str | None, degree: str | None,
                              campus: str | None, position: Position | None, now: datetime,
                              birth_date: date | None = None) -> None:
        """The rest of an imported row, on a member just registered from it: part of the
        registration (version 1), except a usage name, which other services must learn."""
        assert self.version == 1 and len(self.education) == 1, "only right after registration"
        self.birth_name, self.phone, self.city, self.country = birth_name, phone, city, country
        self.birth_date = birth_date
        self.linkedin_url = linkedin_url
        first = self.education[0]
        self.education = (Education(first.program, first.graduation_year, degree, campus),)
        self.career = (position,) if position else ()
        if usage_name:
            self.usage_name = usage_name
            self._profile_changed(now)

    def update_profile(self, changes: ProfileChanges, now: datetime, by_member: bool = False) -> None:
        """`by_member`: the member edits their own profile (the fields they change are theirs
        until someone else changes them)."""
        values = {k: v for k, v in changes.__dict__.items() if v is not None}
        if "emails" in values:
            emails = tuple(EmailAddress(normalize_email(e.address), e.primary) for e in values["emails"])
            if sum(e.primary for e in emails) != 1:
                raise InvalidProfile("exactly one email must be primary")
            if len({e.address for e in emails}) != len(emails):
                raise InvalidProfile("an email is listed twice")
            values["emails"] = emails
        if "education" in values and not values["education"]:
            raise InvalidProfile("at least one education record (the cohort) is required")
        for position in values.get("career", ()):
            if position.start and position.end and position.end < position.start:
                raise InvalidProfile(f"{position.employer}: a position cannot end before it starts")
        for name in ("first_name", "last_name"):
            if name in values and not values[name].strip():
                raise InvalidProfile(f"{name} cannot be empty")
        if not values:
            return
        changed = set()
        for name, value in values.items():
            value = value.strip() if isinstance(value, str) else value
            if getattr(self, name) != value:
                changed.add(name)
            setattr(self, name, value)
        self.self_edited = frozenset(self.self_edited | changed if by_member else self.self_edited - changed)
        self._profile_changed(now)

    def set_visibility(self, choices: dict[Section, Visibility]) -> None:
        merged = {**self.visibility, **choices}
        if merged == self.visibility:
            return
        self.visibility = merged
        self.record(VisibilityChanged(dict(merged)))

    def set_contactability(self, *, email_bounced: bool | None, mail_returned: bool | None, now: datetime) -> None:
        changed = False
        if email_bounced is not None and email_bounced != self.email_bounced:
            self.email_bounced, changed = email_bounced, True
        if mail_returned is not None and mail_returned != self.mail_returned:
            self.mail_returned, changed = mail_returned, True
        if changed:
            self._profile_changed(now)

    def suggest_deceased(self, by: str, now: datetime) -> None:
        if self.deceased is not DeceasedStatus.NO:
            return
        self.deceased, self.deceased_suggested_by = DeceasedStatus.SUGGESTED, by
        self._profile_changed(now)

    def confirm_deceased(self, now: datetime) -> None:
        if self.deceased is DeceasedStatus.CONFIRMED:
            return
        self.deceased = DeceasedStatus.CONFIRMED
        self._profile_changed(now)
        if self.ambassador is not None:
            self.revoke_ambassador("system:deceased", now)

    def record_consent(self, record: ConsentRecord) -> None:
        if record.scope is not None and record.purpose is not Purpose.SHOWCASE:
            raise InvalidConsent("only the showcase consent has a scope")
        if record.purpose is Purpose.SHOWCASE and record.granted:
            if record.scope is None:
                raise InvalidConsent("a showcase consent names its fields, channels and expiry date")
            if not record.scope.fields or not record.scope.channels:
                raise InvalidConsent("a showcase consent names at least one field and one channel")
            if not record.scope.active(record.at):
                raise InvalidConsent("the expiry date of a showcase consent must be in the future")
        if not record.granted:
            record = replace(record, scope=None)
        current = self.consents.get(record.purpose)
        if current is not None and (current.granted, current.text_version, current.language, current.scope) == (
                record.granted, record.text_version, record.language, record.scope):
            return  # the same choice again: nothing new to record
        self.consents = {**self.consents, record.purpose: record}
        self.record(ConsentChanged(self.id, record))
        if record.purpose is Purpose.SHOWCASE:
            self._sync_showcase(record.at)

    def set_showcase(self, showcase: ShowcaseProfile | None, now: datetime) -> None:
        if showcase == self.showcase:
            return
        self.showcase = showcase
        self.record(ShowcaseTextChanged(showcase))
        self._sync_showcase(now)

    def expire_showcase(self, now: datetime) -> None:
        """Called when the consent's expiry passed: unpublish (idempotent)."""
        self._sync_showcase(now)

    def appoint_ambassador(self, scope: AmbassadorScope, by: str, now: datetime) -> None:
        if self.deceased is DeceasedStatus.CONFIRMED:
            raise InvalidProfile("a deceased member cannot be appointed")
        if self.ambassador is not None and self.ambassador.scope == scope:
            return
        self.ambassador = Ambassadorship(scope, now, by)
        self.record(AmbassadorAppointed(self.id, self.ambassador))

    def revoke_ambassador(self, by: str, now: datetime) -> None:
        if self.ambassador is None:
            raise NotAnAmbassador(f"member {self.id} is not an ambassador")
        self.ambassador = None
        self.record(AmbassadorRevoked(self.id, by, now))

    def erase(self, now: datetime) -> None:
        """The member is being erased: take the showcase down everywhere (partners follow
        `showcase_unpublished`); the records themselves are deleted by the repository."""
        if self.showcase_public is not None:
            self.record(ShowcaseUnpublished(self.id, self.showcase_public.entry_id, ShowcaseEnded.ERASED, now))
            self.showcase_public = None

    def _sync_showcase(self, now: datetime) -> None:
        """Publish, update or unpublish so that `showcase_public` is what may be shown now."""
        entry = self.showcase_entry(now)
        if entry == self.showcase_public:
            return
        previous, self.showcase_public = self.showcase_public, entry
        if entry is not None:
            self.record(ShowcasePublished(self.id, entry, now))
        elif previous is not None:
            self.record(ShowcaseUnpublished(self.id, previous.entry_id, self._why_not_shown(now), now))

    def _why_not_shown(self, now: datetime) -> ShowcaseEnded:
        consent = self.consents.get(Purpose.SHOWCASE)
        if self.deceased is DeceasedStatus.CONFIRMED:
            return ShowcaseEnded.DECEASED
        if consent is None or not consent.granted:
            return ShowcaseEnded.WITHDRAWN
        if consent.scope is not None and not consent.scope.active(now):
            return ShowcaseEnded.EXPIRED
        return ShowcaseEnded.PROFILE_REMOVED

    def _profile_changed(self, now: datetime) -> None:
        self.record(MemberProfileUpdated(self._snapshot(), now))
        self._sync_showcase(now)

    def _snapshot(self) -> Member:
        """A copy frozen at the time of the change: the event must not see later changes."""
        snapshot = Member(id=self.id, tenant=self.tenant)
        for name in self.__dataclass_fields__:
            if not name.startswith("_"):
                setattr(snapshot, name, getattr(self, name))
        return snapshot
