"""End to end: a career-outcomes survey through the gateway — a manager launches it for a class;
alumni answer once through their signed link (no login) or logged in; a second answer is 409;
figures stay suppressed while a group has fewer than 5 people and appear at 5; the CSV for the
rankings applies the same suppression; strangers, the other tenant and bad input get problems."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import pytest

from alumni_local.runner import Platform

from .test_platform import wait_until

pytestmark = pytest.mark.e2e
EMPLOYED = {"situation": "employed", "contract": "permanent", "sector": "Banque", "country": "FR",
            "salary_band": "40k_45k", "consent": True}


def test_outcomes_survey_signed_links_answer_once_and_suppressed_figures(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}

    def register(name: str, program: str) -> str:
        r = httpx.post(f"{gw}/api/v1/members", headers=staff, timeout=30, json={
            "first_name": name, "last_name": "Insertion", "email": f"{name.lower()}.outcomes@example.org",
            "cohort": {"program": program, "graduation_year": 2024}})
        assert r.status_code == 201, r.text
        return str(r.json()["member_id"])

    msc = [register(f"Msc{i}", "MSc Outcomes E2E") for i in range(6)]
    mba = [register(f"Mba{i}", "MBA Outcomes E2E") for i in range(2)]

    def known(member_id: str) -> bool:  # members' registration reached community's projection
        return httpx.get(f"{gw}/api/v1/members/{member_id}/helper-profile", headers=staff,
                         timeout=30).status_code == 200

    for member_id in msc + mba:
        wait_until(lambda m=member_id: known(m), 60, "community to know the class")  # type: ignore[misc]

    r = httpx.post(f"{gw}/api/v1/outcome-surveys", headers={**staff, "Idempotency-Key": "e2e-outcomes"}, timeout=30,
                   json={"title": "Insertion 2024 à 6 mois", "cohort_years": [2024], "months_after": 6,
                         "programs": ["MSc Outcomes E2E", "MBA Outcomes E2E"]})
    assert r.status_code == 201, r.text
    survey = r.json()
    sid = survey["survey_id"]
    assert survey["invited"] == 8 and r.headers["location"].endswith(sid)
    assert httpx.post(f"{gw}/api/v1/outcome-surveys", headers=staff,
                      json={"title": "x", "cohort_years": []}).status_code == 422

    links = httpx.get(f"{gw}/api/v1/outcome-surveys/{sid}/links.csv", headers=staff, timeout=30)
    assert links.status_code == 200 and links.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(links.content.decode("utf-8-sig")), delimiter=";"))
    token = {row["member_id"]: row["link"].split("#", 1)[1] for row in rows}
    assert set(token) == set(msc + mba) and all(row["link"].split("#")[0].endswith("/survey?tenant=demo") for row in rows)

    public = f"{gw}/api/v1/public/outcome-survey"
    opened = httpx.get(public, params={"token": token[msc[0]], "tenant": "demo"}, timeout=30)
    assert opened.status_code == 200, opened.text
    assert opened.json()["answer"] is None and opened.json()["cohort"] == "MSc Outcomes E2E 2024"
    assert httpx.post(public, params={"tenant": "demo"}, json={"token": token[msc[0]], **EMPLOYED, "consent": False},
                      timeout=30).status_code == 422, "no answer without consent"
    r = httpx.post(public, params={"tenant": "demo"}, json={"token": token[msc[0]], **EMPLOYED}, timeout=30)
    assert r.status_code == 201, r.text
    again = httpx.post(public, params={"tenant": "demo"}, json={"token": token[msc[0]], **EMPLOYED}, timeout=30)
    assert again.status_code == 409 and again.json()["type"].endswith("outcome-survey-already-answered")
    assert again.headers["content-type"].startswith("application/problem+json")
    forged = httpx.get(public, params={"token": token[msc[0]][:-4] + "AAAA", "tenant": "demo"}, timeout=30)
    assert forged.status_code == 400
    assert httpx.get(public, params={"token": token[msc[0]], "tenant": "other"}, timeout=30).status_code == 400

    def alum(member_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id=member_id)}"}

    for i in (1, 2, 3):
        r = httpx.post(public, params={"tenant": "demo"}, json={"token": token[msc[i]], **EMPLOYED}, timeout=30)
        assert r.status_code == 201, r.text
    four = httpx.get(f"{gw}/api/v1/outcome-surveys/{sid}/figures", headers=staff, timeout=30).json()
    cohort = {row["group"]: row for row in four["by_cohort"]}
    assert cohort["MSc Outcomes E2E 2024"]["suppressed"] and cohort["MSc Outcomes E2E 2024"]["median_salary_band"] is None
    assert cohort["MSc Outcomes E2E 2024"]["response_rate"] == round(4 / 6, 3), "6 alumni: the rate is shown"

    # the fifth answer, logged in (the API), then a second one through the link: 409 again
    r = httpx.post(f"{gw}/api/v1/me/outcome-surveys/{sid}/answer", headers=alum(msc[4]), timeout=30,
                   json={**EMPLOYED, "salary_band": "50k_60k", "country": "GB"})
    assert r.status_code == 201, r.text
    assert httpx.post(public, params={"tenant": "demo"}, json={"token": token[msc[4]], **EMPLOYED},
                      timeout=30).status_code == 409
    assert httpx.post(public, params={"tenant": "demo"}, json={"token": token[mba[0]], **EMPLOYED},
                      timeout=30).status_code == 201

    async def twice() -> list[int]:  # the same link sent twice at once (a double click): one answer
        async with httpx.AsyncClient(timeout=30) as client:
            replies = await asyncio.gather(*(client.post(public, params={"tenant": "demo"},
                                                         json={"token": token[mba[1]], **EMPLOYED})
                                             for _ in range(2)))
        return sorted(r.status_code for r in replies)

    assert asyncio.run(twice()) == [201, 409]
    mine = httpx.get(f"{gw}/api/v1/me/outcome-surveys", headers=alum(msc[5]), timeout=30).json()["items"]
    assert [(s["survey_id"], s["answer"]) for s in mine] == [(sid, None)], "nobody sees another's answer"

    f = httpx.get(f"{gw}/api/v1/outcome-surveys/{sid}/figures", headers=staff, timeout=30).json()
    cohort = {row["group"]: row for row in f["by_cohort"]}
    group = cohort["MSc Outcomes E2E 2024"]
    assert (group["invited"], group["answers"], group["suppressed"]) == (6, 5, False)
    assert group["net_employment_rate"] == 1.0 and group["median_salary_band"] == "40k_45k"
    assert group["share_abroad"] == 0.2 and group["top_sectors"] == [["Banque", 5]]
    small = cohort["MBA Outcomes E2E 2024"]
    assert small["suppressed"] and small["invited"] is None and small["response_rate"] is None
    assert small["net_employment_rate"] is None and small["answers"] is None, "2 alumni, 2 answers: nothing"
    assert f["total"]["answers"] == 7 and f["total"]["invited"] == 8

    exported = httpx.get(f"{gw}/api/v1/outcome-surveys/{sid}/figures.csv", headers=staff, timeout=30)
    assert exported.status_code == 200 and exported.content.startswith("\ufeff".encode())
    table = {(row["group_kind"], row["group"]): row for row in
             csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";")}
    assert table[("cohort", "MSc Outcomes E2E 2024")]["median_salary_band"] == "40k_45k"
    assert table[("cohort", "MBA Outcomes E2E 2024")]["net_employment_rate"] == ""
    assert table[("cohort", "MBA Outcomes E2E 2024")]["suppressed"] == "true"

    # strangers: an alumnus, the other tenant's manager, nobody
    assert httpx.get(f"{gw}/api/v1/outcome-surveys/{sid}/figures", headers=alum(msc[0])).status_code == 403
    other = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
    assert httpx.get(f"{gw}/api/v1/outcome-surveys/{sid}/figures", headers=other, timeout=30).status_code == 404
    assert httpx.get(f"{gw}/api/v1/outcome-surveys/{sid}/figures.csv").status_code == 401
