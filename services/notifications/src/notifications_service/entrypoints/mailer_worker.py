"""The background worker that delivers queued notifications."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from notifications_service.service_layer.handlers import deliver_due
from notifications_service.service_layer.ports import DeliveryQueue, Mailer, NotificationsUnitOfWork
from servicekit.logging import get_logger

log = get_logger(__name__)


class MailerWorker:
    def __init__(self, queue: DeliveryQueue, mailer: Mailer, uow_factory: Callable[[], NotificationsUnitOfWork],
                 *, batch_size: int, max_attempts: int, poll_seconds: float) -> None:
        self._queue, self._mailer, self._uow_factory = queue, mailer, uow_factory
        self._batch_size, self._max_attempts, self._poll = batch_size, max_attempts, poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    @property
    def wake_pending(self) -> bool:
        """A wake-up was requested and the next round has not started yet."""
        return self._wake.is_set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                settled = await deliver_due(self._queue, self._mailer, self._uow_factory,
                                            batch_size=self._batch_size, max_attempts=self._max_attempts)
            except Exception as exc:  # noqa: BLE001 - survive a database blip, retry next round
                log.warning("delivery round failed", error=repr(exc)[:300])
                settled = 0
            if settled < self._batch_size:
                try:
                    await asyncio.wait_for(self._wake.wait(), self._poll)
                except TimeoutError:
                    pass
                self._wake.clear()
