"""Exponential backoff, used by start-up waits, the outbox relay and consumers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo.errors import PyMongoError

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


async def retry_transient(fn: Callable[[], Awaitable[T]], attempts: int = 5, base: float = 0.02) -> T:
    """Run a unit of work again on a transient transaction error (write conflict, failover),
    as MongoDB recommends, before the caller treats the failure as real."""
    for attempt in range(1, attempts + 1):
        try:
            return await fn()
        except Exception as exc:
            if attempt == attempts or not is_transient_transaction_error(exc):
                raise
            delay = backoff_delay(attempt, base, 1.0, jitter=0.5)
            log.info("transient transaction error, running again", attempt=attempt, retry_in=round(delay, 3))
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
