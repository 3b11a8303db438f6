"""The one authorisation rule set of the platform: who may call a use case, and on whom it acts.

Role sets live next to `Role` in `alumni_contracts.rpc` (`STAFF`, `ALUMNI_AND_STAFF`,
`EVERYONE`) so that the gateway and every service share them. Two rules, each written once:

- access: the principal holds one of the roles a use case names (`allowed`);
- ownership: alumni act on themselves, staff may name a member (`acting_member`).
  `Ownership.SELF` ignores a member id an alumnus names (they act on themselves);
  `Ownership.NAMED` refuses it as "not found", like every other record of someone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from alumni_contracts.rpc import STAFF, Principal, Role
from servicekit.domain import NotFound


class Ownership(StrEnum):
    NONE = "none"  # the use case names no member, or decides itself (a query of the directory)
    SELF = "self"  # alumni act on themselves (a named id is ignored); staff may name a member
    NAMED = "named"  # the request names the member: alumni may name only themselves


class MemberNotLinked(NotFound):
    code = "member-not-found"
    title = "Member not found"


def is_staff(who: Principal) -> bool:
    return who.has_any(*STAFF)


def allowed(who: Principal, roles: Iterable[Role]) -> bool:
    return who.has_any(*roles)


def acting_member(who: Principal, requested: str | None, rule: Ownership = Ownership.SELF) -> str:
    """The member a use case acts on: the named one for staff, the principal's own otherwise."""
    if requested and is_staff(who):
        return requested
    if rule is Ownership.NAMED and requested and requested != who.member_id:
        raise MemberNotLinked(requested)  # another member's record: "not found", as everywhere else
    if who.member_id is None:
        raise MemberNotLinked("this account is not linked to a member")
    return who.member_id
