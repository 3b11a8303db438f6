"""Retries for the HTTP clients this project ships (the demo seed, `alumni-import`).

One policy, used as an httpx transport so that every request of a client gets it:
- `429 Too Many Requests` is always retried (the gateway refused the request before doing
  anything), after the `Retry-After` the gateway sent;
- `503`/`504` and lost connections are retried with exponential backoff (or `Retry-After`
  when present) only when replaying the request is safe: a read, an idempotent method, or a
  command carrying an `Idempotency-Key` (the service returns the first result again);
- a connection that could not be opened is retried whatever the request (nothing was sent);
- the number of attempts and each wait are bounded: past them the last response is returned
  (or the error raised) for the caller to report.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

RETRIED_STATUSES = frozenset({429, 503, 504})
REPLAY_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

RetryCallback = Callable[[httpx.Request, str, float, int], None]
"""Called before each wait: (request, reason such as "429" or "ConnectError", seconds, attempt)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    """Tries in all, the first one included."""
    base_seconds: float = 0.5
    """First backoff delay (503/504, lost connections), doubled each time."""
    max_wait_seconds: float = 30.0
    """Longest single wait; a `Retry-After` beyond it is not waited for (the response is returned)."""

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_wait_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        return delay * random.uniform(0.8, 1.2)

    def delay_after_response(self, request: httpx.Request, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to return this response."""
        if response.status_code not in RETRIED_STATUSES or attempt >= self.attempts:
            return None
        if response.status_code != 429 and not replay_safe(request):
            return None
        asked = retry_after(response)
        if asked is None:
            return self.backoff(attempt)
        if asked > self.max_wait_seconds:
            return None
        # A little jitter above what was asked, so that concurrent clients do not come back together.
        return asked + random.uniform(0.0, 0.1 * asked + 0.05)

    def delay_after_error(self, request: httpx.Request, error: httpx.TransportError, attempt: int) -> float | None:
        if attempt >= self.attempts:
            return None
        if isinstance(error, httpx.ConnectError) or replay_safe(request):
            return self.backoff(attempt)
        return None


DEFAULT_POLICY = RetryPolicy()


def replay_safe(request: httpx.Request) -> bool:
    return request.method in REPLAY_SAFE_METHODS or "Idempotency-Key" in request.headers


def retry_after(response: httpx.Response, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


def describe(response: httpx.Response) -> str:
    """One line for a failed response: status, the problem's title and detail (RFC 9457).

    For a 429 the wait comes from `Retry-After` (whole seconds, at least 1) rather than from
    the problem's free-text detail."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        return f"{response.status_code} {response.text[:300]}".rstrip()
    title = problem.get("title") or response.reason_phrase
    detail = problem.get("detail") or ""
    if response.status_code == 429:
        detail = f"Retry-After: {response.headers.get('Retry-After', '?')} s"
    message = f"{response.status_code} {title}" + (f": {detail}" if detail else "")
    for error in problem.get("errors") or []:
        if isinstance(error, dict):
            message += f"\n  {'.'.join(map(str, error.get('loc', ())))}: {error.get('msg')}"
    return message


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport | None = None, policy: RetryPolicy = DEFAULT_POLICY,
                 on_retry: RetryCallback | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()
        self._policy, self._on_retry, self._sleep = policy, on_retry, sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._inner.handle_async_request(request)
            except httpx.TransportError as exc:
                delay = self._policy.delay_after_error(request, exc, attempt)
                if delay is None:
                    raise
                reason = type(exc).__name__
            else:
                delay = self._policy.delay_after_response(request, response, attempt)
                if delay is None:
                    return response
                await response.aclose()
                reason = str(response.status_code)
            if self._on_retry is not None:
                self._on_retry(request, reason, delay, attempt)
            await self._sleep(delay)

    async def aclose(self) -> None:
        await self._inner.aclose()


class RetryTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport | None = None, policy: RetryPolicy = DEFAULT_POLICY,
                 on_retry: RetryCallback | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._inner = inner or httpx.HTTPTransport()
        self._policy, self._on_retry, self._sleep = policy, on_retry, sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._inner.handle_request(request)
            except httpx.TransportError as exc:
                delay = self._policy.delay_after_error(request, exc, attempt)
                if delay is None:
                    raise
                reason = type(exc).__name__
            else:
                delay = self._policy.delay_after_response(request, response, attempt)
                if delay is None:
                    return response
                response.close()
                reason = str(response.status_code)
            if self._on_retry is not None:
                self._on_retry(request, reason, delay, attempt)
            self._sleep(delay)

    def close(self) -> None:
        self._inner.close()
