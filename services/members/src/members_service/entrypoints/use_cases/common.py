"""What the members slices' declarations share: subjects, the actor, directory cursors."""

from __future__ import annotations

import base64

from alumni_contracts import naming
from members_service.service_layer.commands import Actor
from servicekit.bus import Caller
from servicekit.domain import DomainError


class InvalidCursor(DomainError):
    code = "invalid-cursor"
    title = "Invalid cursor"


def command(name: str) -> str:
    return naming.command_subject("members", name)


def query(name: str) -> str:
    return naming.query_subject("members", name)


def actor(who: Caller) -> Actor:
    return Actor(subject=who.subject, member_id=who.own_member_id, staff=who.staff)


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        key = ""
    if key.count("\x1f") != 2:  # last name, first name, id: see the repository's sort key
        raise InvalidCursor("the cursor was not produced by this directory")
    return key
