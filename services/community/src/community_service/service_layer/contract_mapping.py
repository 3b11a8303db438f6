from __future__ import annotations

from alumni_contracts.community import v1
from alumni_contracts.envelope import EventData
from community_service.domain import benefits as b
from community_service.domain import helping as h
from community_service.domain import jobs as j
from community_service.domain import mentoring as m
from community_service.domain import outcomes as o
from servicekit.domain import DomainEvent
from servicekit.erasure import DataErased, confirmation


def to_contract(event: DomainEvent) -> EventData:
    match event:
        case h.HelpRequested():
            return v1.HelpRequested(request_id=event.request_id, requester_id=event.requester_id,
                                    topic=v1.HelpTopic(event.topic), target_sector=event.target_sector or None,
                                    target_city=event.target_city or None, requested_at=event.at)
        case h.HelpOffered():
            return v1.HelpOffered(request_id=event.request_id, helper_id=event.helper_id,
                                  topic=v1.HelpTopic(event.topic), round=event.round, offered_at=event.at)
        case h.HelpNudged():
            return v1.HelpNudged(request_id=event.request_id, helper_id=event.helper_id,
                                 topic=v1.HelpTopic(event.topic), round=event.round, offered_at=event.offered_at,
                                 respond_by=event.respond_by, nudged_at=event.at)
        case h.HelpAccepted():
            return v1.HelpAccepted(request_id=event.request_id, requester_id=event.requester_id,
                                   helper_id=event.helper_id, accepted_at=event.at)
        case h.HelpOutcomeReported():
            return v1.HelpOutcomeReported(request_id=event.request_id, requester_id=event.requester_id,
                                          helper_id=event.helper_id, outcome=v1.HelpOutcome(event.outcome),
                                          reported_at=event.at)
        case j.JobPosted():
            return v1.JobPosted(job_id=event.job_id, title=event.title, company=event.company, city=event.city,
                                country=event.country, sector=event.sector, contract=v1.ContractType(event.contract),
                                remote=v1.RemotePolicy(event.remote), posted_by_partner=event.posted_by_partner,
                                published_at=event.published_at, expires_at=event.expires_at)
        case j.JobExpired():
            return v1.JobExpired(job_id=event.job_id, expired_at=event.at)
        case b.BenefitPublished():
            return v1.BenefitPublished(benefit_id=event.benefit_id, title=event.title, partner=event.partner,
                                       members_only=event.members_only, valid_until=event.valid_until)
        case b.BenefitRedeemed():
            return v1.BenefitRedeemed(benefit_id=event.benefit_id, member_id=event.member_id, redeemed_at=event.at)
        case m.MentorshipMatched():
            return v1.MentorshipMatched(mentorship_id=event.mentorship_id, program_id=event.program_id,
                                        mentor_id=event.mentor_id, mentee_id=event.mentee_id,
                                        matched_by=event.matched_by, score=event.score,
                                        shared_topics=[v1.MentoringTopic(t) for t in event.shared_topics],
                                        matched_at=event.at)
        case m.MentorshipClosed():
            return v1.MentorshipClosed(mentorship_id=event.mentorship_id, program_id=event.program_id,
                                       mentor_id=event.mentor_id, mentee_id=event.mentee_id,
                                       outcome=v1.MentorshipOutcome(event.outcome), check_ins=event.check_ins,
                                       closed_at=event.at)
        case o.OutcomeSurveyAnswered():
            return v1.OutcomeSurveyAnswered(survey_id=event.survey_id, member_id=event.member_id,
                                            program=event.program, cohort_year=event.cohort_year,
                                            channel=event.channel, answered_at=event.at)
        case DataErased():
            return confirmation(event, v1.MemberDataErased)
    raise TypeError(f"no contract for {type(event).__name__}")
