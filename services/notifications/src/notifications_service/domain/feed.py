"""The in-app feed: one item per (kind, member, cause), the same key as the email's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FeedItem:
    id: str  # the delivery key
    tenant: str
    member_id: str
    kind: str
    category: str
    title: str
    body: str
    locale: str
    created_at: datetime
    read_at: datetime | None = None
