"""Exponential backoff, used by start-up waits, the outbox relay and consumers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.errors import DuplicateKeyError, PyMongoError

from servicekit.domain import ConcurrencyConflict
from servicekit.logging import get_logger

T = TypeVar("T")
log = get_logger(__name__)


def backoff_delay(attempt: int, base: float, cap: float, jitter: float = 0.1) -> float:
    """Delay before retry number `attempt` (1-based): base·2^(attempt-1), capped, ±jitter."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    return float(max(0.0, delay * (1 + random.uniform(-jitter, jitter))))


async def wait_until_ready(
    what: str,
    attempt_fn: Callable[[], Awaitable[T]],
    *,
    base: float = 0.2,
    cap: float = 5.0,
    deadline: float | None = None,
) -> T:
    """Call `attempt_fn` until it succeeds: a service that starts before its dependencies
    waits for them instead of crashing. `deadline` (seconds) bounds the wait."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await attempt_fn()
        except Exception as exc:
            if deadline is not None and loop.time() - started > deadline:
                log.error("dependency not ready, giving up", dependency=what, attempt=attempt,
                          waited=round(loop.time() - started, 1), error=str(exc)[:200])
                raise
            delay = backoff_delay(attempt, base, cap)
            log.warning("dependency not ready, retrying", dependency=what, attempt=attempt,
                        retry_in=round(delay, 2), error=str(exc)[:200])
            await asyncio.sleep(delay)


def is_transient_transaction_error(exc: BaseException) -> bool:
    """MongoDB labels errors after which the whole transaction may simply be run again."""
    return isinstance(exc, PyMongoError) and (
        exc.has_error_label("TransientTransactionError") or exc.has_error_label("UnknownTransactionCommitResult"))


def is_write_conflict(exc: BaseException) -> bool:
    """A write lost a race and running the unit of work again may well succeed: a transient
    transaction error, an optimistic-locking conflict, or a duplicate key raised by a
    concurrent upsert (two upserts of one key race to insert it; the loser must run again).
    What consumers re-run; a duplicate key that a handler turns into a business rejection
    (e.g. an email already registered) is a `DomainError` and never gets here."""
    return isinstance(exc, ConcurrencyConflict | DuplicateKeyError) or is_transient_transaction_error(exc)


TRANSIENT_ATTEMPTS = 5


async def retry_transient(fn: Callable[[], Awaitable[T]], attempts: int = TRANSIENT_ATTEMPTS, base: float = 0.02,
                          retry_if: Callable[[BaseException], bool] = is_transient_transaction_error) -> T:
    """Run a unit of work again on a transient transaction error (write conflict, failover),
    as MongoDB recommends, before the caller treats the failure as real. `retry_if` widens
    what is re-run (consumers: `is_write_conflict`)."""
    for attempt in range(1, attempts + 1):
        try:
            return await fn()
        except Exception as exc:
            if attempt == attempts or not retry_if(exc):
                raise
            delay = backoff_delay(attempt, base, 1.0, jitter=0.5)
            log.info("transient write conflict, running again", attempt=attempt, retry_in=round(delay, 3),
                     error=type(exc).__name__)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
