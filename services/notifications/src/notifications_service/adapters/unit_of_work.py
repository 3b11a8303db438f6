from __future__ import annotations

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.adapters.job_alerts_repository import MongoJobAlerts
from notifications_service.adapters.mongo_repository import (
    MongoAddressHealth,
    MongoContactProjection,
    MongoDuesMemberships,
    MongoFeed,
    MongoNotificationRepository,
    MongoPreferences,
)
from servicekit.mongo import Document
from servicekit.outbox import OutboxWakeup
from servicekit.uow import ContractMapper, MongoUnitOfWork


class MongoNotificationsUnitOfWork(MongoUnitOfWork):
    notifications: MongoNotificationRepository
    contacts: MongoContactProjection
    memberships: MongoDuesMemberships
    feed: MongoFeed
    preferences: MongoPreferences
    addresses: MongoAddressHealth
    job_alerts: MongoJobAlerts

    def __init__(self, client: AsyncMongoClient[Document], db_name: str, to_contract: ContractMapper,
                 wakeup: OutboxWakeup | None, lease_seconds: float) -> None:
        super().__init__(client, db_name, to_contract, wakeup)
        self._lease_seconds = lease_seconds

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.notifications = MongoNotificationRepository(db, session, self._lease_seconds, self.track)
        self.contacts = MongoContactProjection(db, session)
        self.memberships = MongoDuesMemberships(db, session)
        self.feed = MongoFeed(db, session)
        self.preferences = MongoPreferences(db, session, self.track)
        self.addresses = MongoAddressHealth(db, session, self.track)
        self.job_alerts = MongoJobAlerts(db, session, self.track)
