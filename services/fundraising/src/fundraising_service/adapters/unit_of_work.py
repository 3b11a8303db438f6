from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from fundraising_service.adapters.gift_repository import (
    MongoCampaignRepository,
    MongoCohortDirectory,
    MongoGiftIntentRepository,
    MongoGiftRepository,
    MongoPledgeRepository,
    MongoRecurringGiftRepository,
)
from fundraising_service.adapters.mongo_receipt_jobs import MongoReceiptJobs
from fundraising_service.adapters.mongo_receipts import (
    MongoLegalEntities,
    MongoReceiptProfiles,
    MongoReceiptRepository,
)
from fundraising_service.adapters.mongo_repository import (
    MongoCheckoutRepository,
    MongoDonationRepository,
    MongoDonorProjection,
    MongoPaymentRepository,
)
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoFundraisingUnitOfWork(MongoUnitOfWork):
    donations: MongoDonationRepository
    members: MongoDonorProjection
    checkouts: MongoCheckoutRepository
    payments: MongoPaymentRepository
    receipts: MongoReceiptRepository
    legal_entities: MongoLegalEntities
    receipt_profiles: MongoReceiptProfiles
    receipt_jobs: MongoReceiptJobs
    campaigns: MongoCampaignRepository
    gifts: MongoGiftRepository
    gift_intents: MongoGiftIntentRepository
    recurring_gifts: MongoRecurringGiftRepository
    pledges: MongoPledgeRepository
    cohorts: MongoCohortDirectory

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.donations = MongoDonationRepository(db, session, self.track)
        self.members = MongoDonorProjection(db, session)
        self.checkouts = MongoCheckoutRepository(db, session, self.track)
        self.payments = MongoPaymentRepository(db, session, self.track)
        self.receipts = MongoReceiptRepository(db, session, self.track)
        self.legal_entities = MongoLegalEntities(db, session)
        self.receipt_profiles = MongoReceiptProfiles(db, session)
        self.receipt_jobs = MongoReceiptJobs(db, session)
        self.campaigns = MongoCampaignRepository(db, session, self.track)
        self.gifts = MongoGiftRepository(db, session, self.track)
        self.gift_intents = MongoGiftIntentRepository(db, session, self.track)
        self.recurring_gifts = MongoRecurringGiftRepository(db, session, self.track)
        self.pledges = MongoPledgeRepository(db, session, self.track)
        self.cohorts = MongoCohortDirectory(db, session)
