"""The outcomes surveys over request/reply (career outcomes for rankings), each declared once."""

from __future__ import annotations

from typing import Any

from alumni_contracts import naming
from alumni_contracts.community import outcomes as co
from alumni_contracts.rpc import STAFF, Role
from community_service.domain import outcome_figures as of
from community_service.domain.outcomes import CONSENT_TEXT, OutcomeAnswer, OutcomeSurvey, cohort_key
from community_service.service_layer import outcome_commands as oc
from community_service.service_layer.outcomes import Invitation, Link, SurveySummary
from servicekit.authz import Ownership
from servicekit.bus import UseCase

ALUMNI = frozenset({Role.ALUMNUS})
PUBLIC = frozenset({Role.PUBLIC})


def _cmd(name: str) -> str:
    return naming.command_subject("community", name)


def _qry(name: str) -> str:
    return naming.query_subject("community", name)


def survey_out(s: OutcomeSurvey, answers: int | None) -> co.OutcomeSurveyOut:
    assert s.created_at is not None
    return co.OutcomeSurveyOut(survey_id=s.id, title=s.title, months_after=s.months_after,
                               cohort_years=list(s.cohort_years), programs=list(s.programs), status=s.status,
                               created_at=s.created_at, closes_at=s.closes_at, invited=sum(s.invited.values()),
                               answers=answers)


def summary_out(v: SurveySummary) -> co.OutcomeSurveyOut:
    return survey_out(v.survey, v.answers)


def _row(r: of.OutcomeRow) -> co.OutcomeRowOut:
    return co.OutcomeRowOut(kind=r.kind, group=r.group, invited=r.invited, answers=r.answers,
                            response_rate=r.response_rate, suppressed=r.suppressed,
                            net_employment_rate=r.employment_rate, further_study_rate=r.further_study_rate,
                            median_salary_band=co.SalaryBand(r.median_salary_band) if r.median_salary_band else None,
                            share_abroad=r.share_abroad,
                            top_sectors=list(r.top_sectors) if r.top_sectors is not None else None)


def figures_out(home_country: str) -> Any:
    def out(found: tuple[OutcomeSurvey, of.SurveyFigures]) -> co.OutcomeFigures:
        survey, f = found
        return co.OutcomeFigures(survey_id=survey.id, min_group_size=of.MIN_GROUP_SIZE, home_country=home_country,
                                 total=_row(f.total), by_cohort=[_row(r) for r in f.by_cohort],
                                 by_program=[_row(r) for r in f.by_program])
    return out


def _answer(a: OutcomeAnswer) -> co.MyAnswerOut:
    assert a.answered_at is not None
    return co.MyAnswerOut(situation=co.Situation(a.situation.value),
                          contract=co.OutcomeContract(a.contract) if a.contract else None, sector=a.sector,
                          country=a.country, salary_band=co.SalaryBand(a.salary_band) if a.salary_band else None,
                          answered_at=a.answered_at, consent_version=a.consent_version)


def invitation_out(v: Invitation) -> co.MyOutcomeSurvey:
    return co.MyOutcomeSurvey(survey_id=v.survey.id, title=v.survey.title, months_after=v.survey.months_after,
                              cohort=cohort_key(v.invitee.program, v.invitee.year), open=v.open,
                              answer=_answer(v.answer) if v.answer else None, consent_text=dict(CONSENT_TEXT))


def links_out(found: list[Link]) -> co.SurveyLinks:
    return co.SurveyLinks(items=[co.SurveyLink(member_id=x.member_id, first_name=x.first_name, last_name=x.last_name,
                                               email=x.email, cohort=x.cohort, token=x.token) for x in found])


def _answer_in(req: co.OutcomeAnswerIn) -> oc.Answer:
    return oc.Answer(situation=req.situation.value, contract=req.contract.value if req.contract else None,
                     sector=req.sector, country=req.country,
                     salary_band=req.salary_band.value if req.salary_band else None, consent=req.consent,
                     locale=req.locale)


def outcome_use_cases(home_country: str) -> list[UseCase[Any]]:
    return [
        UseCase(subject=_cmd(co.LAUNCH_OUTCOME_SURVEY), request=co.LaunchOutcomeSurvey, roles=STAFF, idempotent=True,
                message=lambda req, who: oc.LaunchOutcomeSurvey(
                    tenant=who.tenant, title=req.title, cohort_years=tuple(req.cohort_years),
                    programs=tuple(req.programs), months_after=req.months_after, closes_at=req.closes_at),
                reply=summary_out, description="Launch a graduate-outcomes survey for some cohorts (their alumni "
                                               "at launch form its panel)."),
        UseCase(subject=_cmd(co.CLOSE_OUTCOME_SURVEY), request=co.SurveyRef, roles=STAFF, idempotent=True,
                message=lambda req, who: oc.CloseOutcomeSurvey(tenant=who.tenant, survey_id=req.survey_id),
                reply=summary_out, description="Close a survey: no more answers."),
        UseCase(subject=_qry(co.LIST_OUTCOME_SURVEYS), request=co.NoQuery, roles=STAFF,
                message=lambda req, who: oc.ListOutcomeSurveys(tenant=who.tenant),
                reply=lambda found: co.OutcomeSurveyList(items=[summary_out(v) for v in found]),
                description="The tenant's outcomes surveys with their panel size and answers so far."),
        UseCase(subject=_qry(co.OUTCOME_FIGURES), request=co.SurveyRef, roles=STAFF,
                message=lambda req, who: oc.OutcomeFiguresQuery(tenant=who.tenant, survey_id=req.survey_id),
                reply=figures_out(home_country),
                description="Response rate and outcome figures per cohort and program (groups under 5 suppressed)."),
        UseCase(subject=_qry(co.OUTCOME_FIGURES_CSV), request=co.SurveyRef, roles=STAFF,
                message=lambda req, who: oc.OutcomeFiguresCsv(tenant=who.tenant, survey_id=req.survey_id),
                reply=lambda found: co.CsvFile(filename=found[0], csv=found[1]),
                description="The figures as CSV for the rankings' questionnaires (suppression applied)."),
        UseCase(subject=_qry(co.OUTCOME_SURVEY_LINKS), request=co.SurveyRef, roles=STAFF,
                message=lambda req, who: oc.OutcomeSurveyLinks(tenant=who.tenant, survey_id=req.survey_id),
                reply=links_out, description="Each invitee's signed answer link (the office's mailing)."),
        UseCase(subject=_qry(co.MY_OUTCOME_SURVEYS), request=co.NoQuery, roles=ALUMNI, ownership=Ownership.SELF,
                message=lambda req, who: oc.MyOutcomeSurveys(tenant=who.tenant, member_id=who.target),
                reply=lambda found: co.MyOutcomeSurveys(items=[invitation_out(v) for v in found]),
                description="The outcomes surveys I am invited to, with my own answer."),
        UseCase(subject=_cmd(co.ANSWER_OUTCOME_SURVEY), request=co.AnswerOutcomeSurvey, roles=ALUMNI,
                ownership=Ownership.SELF, idempotent=True,
                message=lambda req, who: oc.AnswerOutcomeSurvey(tenant=who.tenant, survey_id=req.survey_id,
                                                                member_id=who.target, token=None,
                                                                answer=_answer_in(req)),
                reply=invitation_out, description="Answer an outcomes survey (once; logged in)."),
        UseCase(subject=_qry(co.CHECK_OUTCOME_LINK), request=co.CheckOutcomeLink, roles=PUBLIC,
                message=lambda req, who: oc.CheckOutcomeLink(tenant=who.tenant, token=req.token),
                reply=invitation_out, description="What a signed answer link opens (no login)."),
        UseCase(subject=_cmd(co.ANSWER_OUTCOME_LINK), request=co.AnswerOutcomeLink, roles=PUBLIC,
                message=lambda req, who: oc.AnswerOutcomeSurvey(tenant=who.tenant, survey_id=None, member_id=None,
                                                                token=req.token, answer=_answer_in(req)),
                reply=invitation_out, description="Answer through a signed link (once; no login)."),
    ]
