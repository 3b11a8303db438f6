"""Commands and queries as the use cases see them (validated, tenant and actor attached)."""

from __future__ import annotations

from dataclasses import dataclass, field

from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.consent import Channel, Purpose
from members_service.domain.directory import DirectoryCriteria, Viewer
from members_service.domain.model import NotAllowed, ProfileChanges
from members_service.domain.profile import Cohort, Section, Visibility
from members_service.domain.sectors import Sector
from members_service.domain.showcase import ShowcaseChannel, ShowcaseProfile, ShowcaseScope


@dataclass(frozen=True)
class Actor:
    """Who acts: their token subject, member id (alumni) and whether they are staff."""

    subject: str
    member_id: str | None
    staff: bool

    @property
    def role(self) -> str:
        return "staff" if self.staff else "alumnus"

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.member_id, self.staff)

    def require_staff(self, what: str) -> None:
        """The service layer's own check of a staff-only use case (the request adapter checked
        the roles already: this one holds for any other caller, a worker or a test)."""
        if not self.staff:
            raise NotAllowed(f"only the alumni office {what}")

    def may_act_on(self, member_id: str) -> bool:
        """Alumni act on themselves, staff on any member (`servicekit.authz.acting_member`)."""
        return self.staff or self.member_id == member_id


@dataclass(frozen=True)
class RegisterMember:
    tenant: str
    first_name: str
    last_name: str
    email: str
    locale: str
    cohort: Cohort


@dataclass(frozen=True)
class GetMember:
    tenant: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class ListMembers:
    tenant: str
    limit: int
    after: str | None
    newest_first: bool = False
    name_prefix: str | None = None  # raw text; the repository folds it like the directory does


@dataclass(frozen=True)
class UpdateProfile:
    tenant: str
    member_id: str
    actor: Actor
    expected_version: int
    changes: ProfileChanges
    visibility: dict[Section, Visibility] | None = None
    email_bounced: bool | None = None  # staff only
    mail_returned: bool | None = None  # staff only


@dataclass(frozen=True)
class SuggestDeceased:
    tenant: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class ConfirmDeceased:
    tenant: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class SetConsent:
    tenant: str
    member_id: str
    actor: Actor
    purpose: Purpose
    granted: bool
    text_version: str
    language: str
    channel: Channel
    scope: ShowcaseScope | None = None  # showcase consents only


@dataclass(frozen=True)
class SetShowcase:
    """Write (or, with `showcase=None`, remove) a member's showcase profile."""

    tenant: str
    member_id: str
    actor: Actor
    showcase: ShowcaseProfile | None


@dataclass(frozen=True)
class AppointAmbassador:
    tenant: str
    member_id: str
    actor: Actor
    scope: AmbassadorScope


@dataclass(frozen=True)
class RevokeAmbassador:
    tenant: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class SetSectors:
    tenant: str
    actor: Actor
    sectors: tuple[Sector, ...]
    expected_version: int  # 0 while the tenant still uses the default list


@dataclass(frozen=True)
class PublicShowcaseQuery:
    tenant: str
    channel: ShowcaseChannel


@dataclass(frozen=True)
class SearchDirectory:
    tenant: str
    viewer: Viewer
    criteria: DirectoryCriteria = field(default_factory=DirectoryCriteria)
    limit: int = 20
    after: str | None = None  # sort key of the last entry of the previous page


@dataclass(frozen=True)
class RequestErasure:
    tenant: str
    member_id: str
    actor: Actor
    confirmers: tuple[str, ...]  # the services that must confirm (from the contracts)
    deadline_days: int


@dataclass(frozen=True)
class ConfirmErasure:
    tenant: str
    erasure_id: str
    service: str


@dataclass(frozen=True)
class GetErasure:
    tenant: str
    erasure_id: str
    actor: Actor


@dataclass(frozen=True)
class GetConsents:
    tenant: str
    member_id: str
    actor: Actor


@dataclass(frozen=True)
class GetSectors:
    tenant: str
