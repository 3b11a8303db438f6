"""Groups: regional chapters, clubs and cohort groups."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, Identifier
from alumni_contracts.text import PersonText, ShortText

CREATE_GROUP = "create_group"
LIST_GROUPS = "list_groups"
MY_GROUPS = "my_groups"
GROUP_MEMBERS = "group_members"
JOIN_GROUP = "join_group"
LEAVE_GROUP = "leave_group"
INVITE_TO_GROUP = "invite_to_group"
SET_GROUP_ROLE = "set_group_role"


class GroupKind(StrEnum):
    COHORT = "cohort"
    REGION = "region"
    CLUB = "club"


class JoinPolicy(StrEnum):
    OPEN = "open"
    INVITATION = "invitation"


class GroupRole(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    MANAGER = "manager"


class NewGroup(Request):
    kind: Literal["region", "club"] = Field(description="Cohort groups are created automatically.")
    name: ShortText = Field(examples=["Alumni de Lyon"])
    description: Annotated[str, PersonText(max_length=2000, min_length=0, multiline=True)] = ""
    policy: JoinPolicy = Field(JoinPolicy.OPEN, description="open: anyone joins; invitation: invited alumni only.")


class CreateGroup(NewGroup):
    pass


class ListGroups(Request):
    kind: GroupKind | None = None


class MyGroups(Request):
    pass


class GroupRef(Request):
    group_id: Identifier


class Invitation(Request):
    member_id: Identifier


class InviteToGroup(Invitation):
    group_id: Identifier


class RoleBody(Request):
    role: GroupRole


class SetGroupRole(RoleBody):
    group_id: Identifier
    member_id: Identifier


class GroupOut(Result):
    group_id: Identifier
    kind: GroupKind
    name: str
    description: str = ""
    policy: JoinPolicy
    cohort: Cohort | None = None
    created_at: AwareDatetime


class GroupList(Result):
    items: list[GroupOut]


class MembershipOut(Result):
    group_id: Identifier
    member_id: Identifier
    status: Literal["active", "invited", "left"]
    role: GroupRole


class MyGroup(Result):
    group: GroupOut
    membership: MembershipOut


class MyGroupList(Result):
    items: list[MyGroup]


class GroupMemberOut(Result):
    member_id: Identifier
    first_name: str
    last_name: str
    role: GroupRole


class GroupMembers(Result):
    group: GroupOut
    members: list[GroupMemberOut] = Field(description="Active members in name order; alumni see those listed "
                                                      "in the directory.")
