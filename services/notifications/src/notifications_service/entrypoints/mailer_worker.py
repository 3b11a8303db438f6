"""The background worker that delivers queued notifications: a servicekit `WorkLoop` whose
round is `deliver_due` (claim a batch under a lease, send it over the SMTP pool `concurrency`
messages at a time, settle it in chunks). Woken when an event queues
a notification; a full batch runs the next round at once. A stopping worker finishes the email
in progress and gives the rest of its batch back."""

from __future__ import annotations

from collections.abc import Callable

from notifications_service.domain.bounces import BouncePolicy
from notifications_service.service_layer.handlers import deliver_due
from notifications_service.service_layer.ports import DeliveryQueue, Mailer, NotificationsUnitOfWork, SendRate
from servicekit.worker import WorkLoop


def mailer_worker(queue: DeliveryQueue, mailer: Mailer, uow_factory: Callable[[], NotificationsUnitOfWork],
                  *, batch_size: int, max_attempts: int, poll_seconds: float, rate: SendRate | None = None,
                  bounce_policy: BouncePolicy = BouncePolicy(), concurrency: int = 1, settle_every: int = 25,
                  lease_seconds: float | None = None) -> WorkLoop:
    loop: WorkLoop

    async def deliver() -> int:
        return await deliver_due(queue, mailer, uow_factory, batch_size=batch_size, max_attempts=max_attempts,
                                 stopping=lambda: loop.stopping, rate=rate, bounce_policy=bounce_policy,
                                 concurrency=concurrency, settle_every=settle_every, lease_seconds=lease_seconds)

    loop = WorkLoop("notifications", "mailer", deliver, poll_seconds=poll_seconds, busy_at=batch_size)
    return loop
