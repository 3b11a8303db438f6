"""Who acts: the actor every slice's commands carry (the commands themselves live in their
slice's module: `profiles`, `consents`, `groups`, `imports`, `membership`…)."""

from __future__ import annotations

from dataclasses import dataclass

from members_service.domain.directory import Viewer
from members_service.domain.model import NotAllowed


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
