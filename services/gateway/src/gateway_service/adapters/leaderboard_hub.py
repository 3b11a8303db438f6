"""Live class leaderboards for Server-Sent Events: one feed per (tenant, campaign) in this
gateway process, however many consoles watch it.

A feed exists while at least one stream subscribes to it. It asks fundraising for the
leaderboard every `interval` seconds (one request/reply per gateway process and campaign,
instead of one per console every 5 s) and hands a new board to every subscriber only when it
changed (the `computed_at` stamp aside). Each subscriber holds at most the latest board: a slow
console skips intermediate boards instead of growing a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from alumni_contracts.rpc import Principal
from servicekit.logging import get_logger

log = get_logger(__name__)
Board = dict[str, Any]
Fetch = Callable[[Principal, str], Awaitable[Board]]


def board_key(board: Board) -> str:
    """What makes two boards different for a viewer (the computation time does not)."""
    return json.dumps({k: v for k, v in board.items() if k != "computed_at"}, sort_keys=True, default=str)


@dataclass
class Feed:
    principal: Principal
    campaign_id: str
    last: Board
    subscribers: set[asyncio.Queue[Board]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    polls: int = 0


class LeaderboardHub:
    def __init__(self, fetch: Fetch, interval: float = 1.0) -> None:
        self._fetch = fetch
        self.interval = interval
        self._feeds: dict[tuple[str, str], Feed] = {}

    @property
    def feeds(self) -> int:
        return len(self._feeds)

    def subscribers(self, tenant: str, campaign_id: str) -> int:
        feed = self._feeds.get((tenant, campaign_id))
        return len(feed.subscribers) if feed else 0

    @contextlib.asynccontextmanager
    async def subscribe(self, principal: Principal, campaign_id: str, first: Board
                        ) -> AsyncIterator[asyncio.Queue[Board]]:
        """Updates of the (principal's tenant, campaign) board; `first` is the board the caller
        has already been sent (it was fetched with the caller's own rights)."""
        key = (principal.tenant, campaign_id)
        feed = self._feeds.get(key)
        if feed is None:
            feed = self._feeds[key] = Feed(principal, campaign_id, first)
            feed.task = asyncio.create_task(self._poll(feed), name=f"leaderboard-{principal.tenant}-{campaign_id}")
        queue: asyncio.Queue[Board] = asyncio.Queue(maxsize=1)
        if board_key(feed.last) != board_key(first):
            queue.put_nowait(feed.last)  # the feed knows a newer board than the caller's first one
        feed.subscribers.add(queue)
        try:
            yield queue
        finally:
            feed.subscribers.discard(queue)
            if not feed.subscribers and self._feeds.get(key) is feed:
                del self._feeds[key]
                if feed.task is not None:
                    feed.task.cancel()

    async def _poll(self, feed: Feed) -> None:
        seen = board_key(feed.last)
        while True:
            await asyncio.sleep(self.interval)
            try:
                board = await self._fetch(feed.principal, feed.campaign_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a failed poll is retried at the next tick
                log.warning("leaderboard poll failed", campaign_id=feed.campaign_id, error=repr(exc)[:200])
                continue
            feed.polls += 1
            key = board_key(board)
            if key == seen:
                continue
            seen, feed.last = key, board
            for queue in list(feed.subscribers):
                if queue.full():  # keep only the latest board for a slow reader
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(board)
