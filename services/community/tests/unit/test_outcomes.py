"""Outcomes surveys through `bootstrap(...)` with an in-memory unit of work: the panel at launch,
answering once (API and signed link, consent required), figures per cohort and program with the
minimum group size on every figure, the CSV, privacy (own answer only, cross-tenant links), erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alumni_contracts.community import outcomes as co
from alumni_contracts.community import v1
from alumni_contracts.rpc import Principal, Role
from community_service.bootstrap import bootstrap
from community_service.domain import outcome_figures as of
from community_service.domain.outcomes import (
    AlreadyAnswered,
    InvalidAnswer,
    InvalidSurvey,
    OutcomeAnswer,
    OutcomeSurvey,
    PanelMember,
    Situation,
    SurveyClosed,
)
from community_service.service_layer.outcomes import InvalidSurveyLink, SurveyNotFound
from servicekit import csv_cells
from servicekit.erasure import EraseMemberData, erase_member_data
from servicekit.rpc import RequestHandler
from servicekit.signed_tokens import TokenSigner

from .fakes import FakeCommunityUnitOfWork, ProjectMember

MANAGER = Principal(tenant="demo", subject="staff", roles=frozenset({Role.MANAGER}))
PUBLIC = Principal(tenant="demo", subject="survey-link", roles=frozenset({Role.PUBLIC}))
LINKS = TokenSigner("outcome-secret-for-unit-tests", timedelta(days=90))
NOW = datetime.now(UTC)


def alumnus(member_id: str, tenant: str = "demo") -> Principal:
    return Principal(tenant=tenant, subject=f"u-{member_id}", member_id=member_id, roles=frozenset({Role.ALUMNUS}))


EMPLOYED = {"situation": "employed", "contract": "permanent", "sector": "Banque", "country": "FR",
            "salary_band": "40k_45k", "consent": True}


class World:
    def __init__(self) -> None:
        self.uow = FakeCommunityUnitOfWork()
        parts = bootstrap(lambda: self.uow, links=LINKS, home_country="FR")
        self.handlers: dict[str, RequestHandler] = {h.subject.split(".")[-1]: h for h in parts.requests}

    async def call(self, name: str, request: Any, who: Principal) -> Any:
        h = self.handlers[name]
        assert who.has_any(*h.roles), f"{name} refuses {who.roles}"
        return await h.handler(request, who)

    async def member(self, member_id: str, year: int, program: str = "MSc", tenant: str = "demo") -> None:
        async with self.uow:
            await self.uow.members.apply(ProjectMember(tenant, member_id, 1, member_id.title(), "Durand",
                                                       f"{member_id}@example.org", "fr", ((program, year),)))

    async def launch(self, years: list[int], **kw: Any) -> co.OutcomeSurveyOut:
        out: co.OutcomeSurveyOut = await self.call(co.LAUNCH_OUTCOME_SURVEY, co.LaunchOutcomeSurvey(
            title="Insertion 2025", cohort_years=years, **kw), MANAGER)
        return out

    async def answer(self, survey_id: str, member_id: str, **fields: Any) -> co.MyOutcomeSurvey:
        out: co.MyOutcomeSurvey = await self.call(co.ANSWER_OUTCOME_SURVEY, co.AnswerOutcomeSurvey(
            survey_id=survey_id, **{**EMPLOYED, **fields}), alumnus(member_id))
        return out

    async def figures(self, survey_id: str) -> co.OutcomeFigures:
        out: co.OutcomeFigures = await self.call(co.OUTCOME_FIGURES, co.SurveyRef(survey_id=survey_id), MANAGER)
        return out


async def test_the_panel_is_the_cohorts_alumni_at_launch() -> None:
    w = World()
    for i in range(3):
        await w.member(f"a{i}", 2025)
    await w.member("old", 2019)
    await w.member("mba", 2025, "MBA")
    survey = await w.launch([2025])
    assert survey.invited == 4 and survey.answers == 0 and survey.status == "open"
    only_msc = await w.launch([2025], programs=["MSc"])
    assert only_msc.invited == 3
    with pytest.raises(SurveyNotFound):  # not of the surveyed cohorts: not their survey
        await w.answer(survey.survey_id, "old")


async def test_an_alumnus_answers_once_and_sees_only_their_own_answer() -> None:
    w = World()
    await w.member("ann", 2025)
    await w.member("bob", 2025)
    survey = await w.launch([2025])
    out = await w.answer(survey.survey_id, "ann")
    assert out.answer is not None and out.answer.salary_band is co.SalaryBand.K40_45 and out.cohort == "MSc 2025"
    with pytest.raises(AlreadyAnswered) as caught:
        await w.answer(survey.survey_id, "ann", situation="seeking")
    assert caught.value.status == 409
    [event] = [e.data for e in w.uow.published if isinstance(e.data, v1.OutcomeSurveyAnswered)]
    assert (event.member_id, event.cohort_year, event.channel) == ("ann", 2025, "api")
    assert "salary" not in str(event.model_dump()) and "Banque" not in str(event.model_dump()), "no answer on the bus"
    mine: co.MyOutcomeSurveys = await w.call(co.MY_OUTCOME_SURVEYS, co.NoQuery(), alumnus("bob"))
    assert [(s.survey_id, s.answer) for s in mine.items] == [(survey.survey_id, None)], "bob never sees ann's answer"
    assert Role.ALUMNUS not in w.handlers[co.OUTCOME_FIGURES].roles
    assert Role.MANAGER not in w.handlers[co.ANSWER_OUTCOME_SURVEY].roles, "staff do not answer in anyone's name"


async def test_bad_answers_are_refused() -> None:
    w = World()
    await w.member("ann", 2025)
    survey = await w.launch([2025])
    with pytest.raises(InvalidAnswer, match="consent"):
        await w.answer(survey.survey_id, "ann", consent=False)
    with pytest.raises(InvalidAnswer, match="contract"):
        await w.answer(survey.survey_id, "ann", contract=None)
    # a non-employed answer carries no contract, sector, country or salary (nothing to leak)
    out = await w.answer(survey.survey_id, "ann", situation="further_study")
    assert out.answer is not None and (out.answer.salary_band, out.answer.sector, out.answer.country) == (None, "", None)
    with pytest.raises(InvalidSurvey):
        await w.launch([2025], closes_at=NOW - timedelta(days=1))


async def test_a_signed_link_answers_without_login_once_and_only_at_its_tenant() -> None:
    w = World()
    await w.member("ann", 2025)
    survey = await w.launch([2025])
    links: co.SurveyLinks = await w.call(co.OUTCOME_SURVEY_LINKS, co.SurveyRef(survey_id=survey.survey_id), MANAGER)
    [link] = links.items
    assert (link.member_id, link.email, link.cohort) == ("ann", "ann@example.org", "MSc 2025")
    seen: co.MyOutcomeSurvey = await w.call(co.CHECK_OUTCOME_LINK, co.CheckOutcomeLink(token=link.token), PUBLIC)
    assert seen.answer is None and seen.open and "fr" in seen.consent_text
    out = await w.call(co.ANSWER_OUTCOME_LINK, co.AnswerOutcomeLink(token=link.token, **EMPLOYED), PUBLIC)
    assert out.answer.situation is co.Situation.EMPLOYED
    with pytest.raises(AlreadyAnswered):
        await w.call(co.ANSWER_OUTCOME_LINK, co.AnswerOutcomeLink(token=link.token, **EMPLOYED), PUBLIC)
    with pytest.raises(AlreadyAnswered):  # nor again through the API
        await w.answer(survey.survey_id, "ann")
    other = Principal(tenant="other", subject="survey-link", roles=frozenset({Role.PUBLIC}))
    with pytest.raises(InvalidSurveyLink, match="another organisation"):
        await w.call(co.CHECK_OUTCOME_LINK, co.CheckOutcomeLink(token=link.token), other)
    forged = link.token[:-3] + ("AAA" if not link.token.endswith("AAA") else "BBB")
    with pytest.raises(InvalidSurveyLink) as caught:
        await w.call(co.CHECK_OUTCOME_LINK, co.CheckOutcomeLink(token=forged), PUBLIC)
    assert caught.value.status == 400
    expired = TokenSigner("outcome-secret-for-unit-tests", timedelta(days=-1)).issue(
        {"t": "demo", "s": survey.survey_id, "m": "ann"}, NOW)
    with pytest.raises(InvalidSurveyLink, match="expired"):
        await w.call(co.CHECK_OUTCOME_LINK, co.CheckOutcomeLink(token=expired), PUBLIC)


async def test_a_closed_survey_takes_no_answer() -> None:
    w = World()
    await w.member("ann", 2025)
    survey = await w.launch([2025])
    closed = await w.call(co.CLOSE_OUTCOME_SURVEY, co.SurveyRef(survey_id=survey.survey_id), MANAGER)
    assert closed.status == "closed"
    with pytest.raises(SurveyClosed):
        await w.answer(survey.survey_id, "ann")


async def test_figures_per_cohort_and_program_suppress_groups_under_five() -> None:
    w = World()
    for i in range(8):
        await w.member(f"msc{i}", 2025)
    for i in range(3):
        await w.member(f"mba{i}", 2025, "MBA")
    survey = await w.launch([2025])
    sid = survey.survey_id
    bands = ["35k_40k", "40k_45k", "40k_45k", "50k_60k", "60k_80k"]
    for i, band in enumerate(bands):
        await w.answer(sid, f"msc{i}", salary_band=band, country="GB" if i == 0 else "FR",
                       sector="Banque" if i < 4 else "Conseil")
    await w.answer(sid, "msc5", situation="seeking")
    for i in range(3):
        await w.answer(sid, f"mba{i}", salary_band="80k_plus")
    f = await w.figures(sid)
    rows = {r.group: r for r in f.by_cohort}
    msc = rows["MSc 2025"]
    assert (msc.invited, msc.answers, msc.response_rate, msc.suppressed) == (8, 6, 0.75, False)
    assert msc.net_employment_rate == round(5 / 6, 3) and msc.median_salary_band is co.SalaryBand.K40_45
    assert msc.share_abroad == 0.2 and msc.further_study_rate == 0.0
    assert msc.top_sectors is None or msc.top_sectors == [], "Banque has 4 graduates: under 5, not named"
    mba = rows["MBA 2025"]
    assert mba.suppressed and mba.invited is None and mba.response_rate is None, "3 alumni: nothing about them"
    assert mba.net_employment_rate is None and mba.median_salary_band is None and mba.answers is None
    total = f.total
    assert (total.invited, total.answers, total.suppressed) == (11, 9, False)
    assert total.median_salary_band is co.SalaryBand.K50_60  # 35,40,40,50,60,80,80,80 → lower median = 50-60
    assert total.top_sectors == [("Banque", 7)], "Banque: 4 MSc + 3 MBA; Conseil (1) not named"
    assert [r.group for r in f.by_program] == ["MBA", "MSc"] and f.by_program[0].suppressed


async def test_csv_applies_suppression_and_neutralises_formulas() -> None:
    w = World()
    for i in range(5):
        await w.member(f"x{i}", 2025)
    survey = await w.launch([2025])
    for i in range(5):
        await w.answer(survey.survey_id, f"x{i}", sector="=HYPERLINK(\"http://evil\")")
    out: co.CsvFile = await w.call(co.OUTCOME_FIGURES_CSV, co.SurveyRef(survey_id=survey.survey_id), MANAGER)
    assert out.filename == "outcomes-2025-6m.csv" and out.csv.startswith(csv_cells.BOM)
    lines = out.csv.lstrip(csv_cells.BOM).splitlines()
    assert lines[0].startswith("group_kind;group;invited;answers;response_rate;suppressed")
    assert any(line.startswith("cohort;MSc 2025;5;5;1.0;false;1.0") for line in lines)
    assert "'=HYPERLINK" in out.csv and ";=HYPERLINK" not in out.csv


def test_suppressed_rows_are_empty_cells_in_the_csv() -> None:
    survey = OutcomeSurvey.launch(tenant="demo", title="t", months_after=6, cohort_years=(2025,), programs=(),
                                  closes_at=None, panel=[PanelMember(f"m{i}", "MSc", 2025) for i in range(4)],
                                  now=NOW)
    answers = [OutcomeAnswer(id=f"s:m{i}", tenant="demo", survey_id=survey.id, member_id=f"m{i}", program="MSc",
                             cohort_year=2025, situation=Situation.EMPLOYED, contract="permanent", sector="Banque",
                             country="FR", salary_band="80k_plus", answered_at=NOW) for i in range(4)]
    rows = of.csv_rows(of.figures(survey, answers, "FR"))
    assert rows[1] == ("total", "all", "", "", "", "true", "", "", "", "", "")


async def test_erasure_deletes_answers_and_invitations_and_the_export_lists_them() -> None:
    from community_service.bootstrap import export_queries
    from community_service.service_layer.members import erase_member
    w = World()
    for i in range(5):
        await w.member(f"x{i}", 2025)
    survey = await w.launch([2025])
    for i in range(5):
        await w.answer(survey.survey_id, f"x{i}")
    queries = export_queries("demo", "x0")
    assert queries["outcome_answers"] == {"tenant": "demo", "member_id": "x0"}
    assert queries["outcome_invitations"] == {"tenant": "demo", "member_id": "x0"}
    await erase_member_data(EraseMemberData("demo", "er-1", "x0"), w.uow, erase_member)
    assert await w.uow.outcome_answers.get("demo", survey.survey_id, "x0") is None
    f = await w.figures(survey.survey_id)
    assert f.total.answers == 4 and f.total.suppressed, "the figures lose the erased answer"
    [confirmed] = [e.data for e in w.uow.published if e.data.event_name == "member_data_erased"]
    assert confirmed.erased["outcome_answers"] == 1 and confirmed.erased["outcome_invitations"] == 1
