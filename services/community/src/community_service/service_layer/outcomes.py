"""Use cases of the outcomes surveys: launch for some cohorts, answer once (signed link or API),
figures per cohort and program with small-group suppression, the rankings' CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from community_service.domain import outcome_figures as of
from community_service.domain.outcomes import OutcomeAnswer, OutcomeSurvey, PanelMember, cohort_key
from community_service.service_layer import outcome_commands as oc
from community_service.service_layer.ports import CommunityUnitOfWork
from servicekit import csv_cells
from servicekit.domain import DomainError, NotFound, utcnow
from servicekit.signed_tokens import BadToken, TokenSigner

Clock = Callable[[], datetime]
MAX_PANEL = 20_000  # alumni of the surveyed cohorts at launch (a few classes of a large school)


class SurveyNotFound(NotFound):
    code = "outcome-survey-not-found"
    title = "Outcomes survey not found"


class InvalidSurveyLink(DomainError):
    status = 400
    code = "invalid-outcome-survey-link"
    title = "Invalid or expired survey link"


@dataclass(frozen=True)
class SurveySummary:
    survey: OutcomeSurvey
    answers: int | None


@dataclass(frozen=True)
class Invitation:
    """A survey as one invitee sees it, with their own answer (never anyone else's)."""

    survey: OutcomeSurvey
    invitee: PanelMember
    answer: OutcomeAnswer | None
    open: bool


@dataclass(frozen=True)
class Link:
    member_id: str
    first_name: str
    last_name: str
    email: str | None
    cohort: str
    token: str


async def launch_outcome_survey(cmd: oc.LaunchOutcomeSurvey, uow: CommunityUnitOfWork,
                                clock: Clock = utcnow) -> SurveySummary:
    now = clock()
    async with uow:
        panel = await uow.outcome_panel.members_of(cmd.tenant, cmd.cohort_years, cmd.programs, MAX_PANEL)
        survey = OutcomeSurvey.launch(tenant=cmd.tenant, title=cmd.title, months_after=cmd.months_after,
                                      cohort_years=cmd.cohort_years, programs=cmd.programs,
                                      closes_at=cmd.closes_at, panel=panel, now=now)
        await uow.outcome_surveys.add(survey, panel)
        await uow.commit()
    return SurveySummary(survey, 0)


async def _survey(uow: CommunityUnitOfWork, tenant: str, survey_id: str) -> OutcomeSurvey:
    survey = await uow.outcome_surveys.get(tenant, survey_id)
    if survey is None:
        raise SurveyNotFound(survey_id)
    return survey


async def close_outcome_survey(cmd: oc.CloseOutcomeSurvey, uow: CommunityUnitOfWork) -> SurveySummary:
    async with uow:
        survey = await _survey(uow, cmd.tenant, cmd.survey_id)
        if survey.status != "closed":
            survey.close()
            await uow.outcome_surveys.save(survey)
        answers = await uow.outcome_answers.count(cmd.tenant, cmd.survey_id)
        await uow.commit()
    return SurveySummary(survey, answers)


async def list_outcome_surveys(query: oc.ListOutcomeSurveys, uow: CommunityUnitOfWork) -> list[SurveySummary]:
    async with uow:
        surveys = await uow.outcome_surveys.of_tenant(query.tenant, 100)
        return [SurveySummary(s, await uow.outcome_answers.count(query.tenant, s.id)) for s in surveys]


async def outcome_figures(query: oc.OutcomeFiguresQuery, uow: CommunityUnitOfWork,
                          home_country: str) -> tuple[OutcomeSurvey, of.SurveyFigures]:
    async with uow:
        survey = await _survey(uow, query.tenant, query.survey_id)
        answers = await uow.outcome_answers.of_survey(query.tenant, query.survey_id, MAX_PANEL)
    return survey, of.figures(survey, answers, home_country)


async def outcome_figures_csv(query: oc.OutcomeFiguresCsv, uow: CommunityUnitOfWork,
                              home_country: str) -> tuple[str, str]:
    """(file name, CSV text): suppressed figures are empty cells, every cell neutralised."""
    survey, figures = await outcome_figures(oc.OutcomeFiguresQuery(query.tenant, query.survey_id), uow, home_country)
    years = "-".join(str(y) for y in survey.cohort_years)
    return (f"outcomes-{years}-{survey.months_after}m.csv",
            "".join(csv_cells.csv_lines(of.csv_rows(figures))))


async def outcome_survey_links(query: oc.OutcomeSurveyLinks, uow: CommunityUnitOfWork, links: TokenSigner,
                               clock: Clock = utcnow) -> list[Link]:
    """Each invitee's personal answer link, for the office's mailing (staff)."""
    now = clock()
    out: list[Link] = []
    async with uow:
        survey = await _survey(uow, query.tenant, query.survey_id)
        for p in await uow.outcome_surveys.panel(query.tenant, survey.id, MAX_PANEL):
            member = await uow.members.get(query.tenant, p.member_id)
            token = links.issue({"t": query.tenant, "s": survey.id, "m": p.member_id}, now)
            out.append(Link(p.member_id, member.first_name if member else "", member.last_name if member else "",
                            member.email if member else None, cohort_key(p.program, p.year), token))
    return out


def _grant(links: TokenSigner, tenant: str, token: str, now: datetime) -> tuple[str, str]:
    try:
        claims, _ = links.verify(token, now)
    except BadToken as bad:
        raise InvalidSurveyLink({"expired": "this survey link has expired: sign in to answer",
                                 "forged": "this survey link was not issued by this platform"}
                                .get(bad.reason, "this survey link is malformed")) from None
    if claims.get("t") != tenant:  # a link of another organisation, replayed at this one
        raise InvalidSurveyLink("this survey link belongs to another organisation")
    survey_id, member_id = claims.get("s"), claims.get("m")
    if not isinstance(survey_id, str) or not isinstance(member_id, str):
        raise InvalidSurveyLink("this survey link is malformed")
    return survey_id, member_id


async def _invitation(uow: CommunityUnitOfWork, tenant: str, survey_id: str, member_id: str,
                      now: datetime) -> Invitation:
    survey = await _survey(uow, tenant, survey_id)
    invitee = await uow.outcome_surveys.invitee(tenant, survey_id, member_id)
    if invitee is None:  # not of the surveyed cohorts (or erased): the survey is not theirs
        raise SurveyNotFound(survey_id)
    answer = await uow.outcome_answers.get(tenant, survey_id, member_id)
    return Invitation(survey, invitee, answer, survey.is_open(now))


async def check_outcome_link(query: oc.CheckOutcomeLink, uow: CommunityUnitOfWork, links: TokenSigner,
                             clock: Clock = utcnow) -> Invitation:
    now = clock()
    survey_id, member_id = _grant(links, query.tenant, query.token, now)
    async with uow:
        return await _invitation(uow, query.tenant, survey_id, member_id, now)


async def my_outcome_surveys(query: oc.MyOutcomeSurveys, uow: CommunityUnitOfWork,
                             clock: Clock = utcnow) -> list[Invitation]:
    now = clock()
    async with uow:
        return [await _invitation(uow, query.tenant, survey_id, query.member_id, now)
                for survey_id, _ in await uow.outcome_surveys.invitations_of(query.tenant, query.member_id, 50)]


async def answer_outcome_survey(cmd: oc.AnswerOutcomeSurvey, uow: CommunityUnitOfWork, links: TokenSigner,
                                clock: Clock = utcnow) -> Invitation:
    """Once: a second answer (link or API, or both) is refused 409; the answer id is
    `<survey>:<member>`, so two concurrent answers cannot both commit."""
    now = clock()
    if cmd.token is not None:
        survey_id, member_id, channel = *_grant(links, cmd.tenant, cmd.token, now), "link"
    else:
        assert cmd.survey_id is not None and cmd.member_id is not None
        survey_id, member_id, channel = cmd.survey_id, cmd.member_id, "api"
    a = cmd.answer
    async with uow:
        invitation = await _invitation(uow, cmd.tenant, survey_id, member_id, now)
        answer = OutcomeAnswer.give(survey=invitation.survey, invitee=invitation.invitee, situation=a.situation,
                                    contract=a.contract, sector=a.sector, country=a.country,
                                    salary_band=a.salary_band, consent=a.consent, locale=a.locale,
                                    channel=channel, already=invitation.answer is not None, now=now)
        await uow.outcome_answers.add(answer)
        await uow.commit()
    return Invitation(invitation.survey, invitation.invitee, answer, invitation.open)
