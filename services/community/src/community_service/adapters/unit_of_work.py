from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from community_service.adapters.mentoring_repository import (
    MongoMentorshipRepository,
    MongoParticipantRepository,
    MongoProgramRepository,
)
from community_service.adapters.mongo_outcomes import MongoOutcomeAnswers, MongoOutcomePanel, MongoOutcomeSurveys
from community_service.adapters.mongo_repository import (
    MongoBenefitRepository,
    MongoHelperRepository,
    MongoHelpRequestRepository,
    MongoJobRepository,
    MongoMemberProjection,
    MongoMembershipProjection,
    MongoSavedJobs,
)
from servicekit.mongo import Document
from servicekit.uow import MongoUnitOfWork


class MongoCommunityUnitOfWork(MongoUnitOfWork):
    members: MongoMemberProjection
    helpers: MongoHelperRepository
    help_requests: MongoHelpRequestRepository
    jobs: MongoJobRepository
    saved_jobs: MongoSavedJobs
    memberships: MongoMembershipProjection
    benefits: MongoBenefitRepository
    programs: MongoProgramRepository
    participants: MongoParticipantRepository
    mentorships: MongoMentorshipRepository
    outcome_surveys: MongoOutcomeSurveys
    outcome_answers: MongoOutcomeAnswers
    outcome_panel: MongoOutcomePanel

    def _open(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.members = MongoMemberProjection(db, session)
        self.helpers = MongoHelperRepository(db, session)
        self.help_requests = MongoHelpRequestRepository(db, session, self.track)
        self.jobs = MongoJobRepository(db, session, self.track)
        self.saved_jobs = MongoSavedJobs(db, session)
        self.memberships = MongoMembershipProjection(db, session)
        self.benefits = MongoBenefitRepository(db, session, self.track)
        self.programs = MongoProgramRepository(db, session, self.track)
        self.participants = MongoParticipantRepository(db, session)
        self.mentorships = MongoMentorshipRepository(db, session, self.track)
        self.outcome_surveys = MongoOutcomeSurveys(db, session, self.track)
        self.outcome_answers = MongoOutcomeAnswers(db, session, self.track)
        self.outcome_panel = MongoOutcomePanel(db, session)
