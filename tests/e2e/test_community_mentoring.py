"""End to end: a mentoring program through the gateway — a manager creates and opens it, a mentor
and a mentee enrol once members' events reached community, the suggestions explain their score,
the manager confirms the pair (replayed Idempotency-Key: the same mentorship), the mentor accepts
(contacts revealed), both check in, the mentee closes with the survey, the figures suppress the
small program; another member, the other tenant and bad input are refused; the member's export
holds their mentoring data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .test_platform import wait_until

pytestmark = pytest.mark.e2e
PROGRAMS = "/api/v1/mentoring/programs"
MENTORSHIPS = "/api/v1/mentoring/mentorships"


def register(gw: str, staff: dict[str, str], name: str, year: int) -> str:
    body = {"first_name": name, "last_name": "Mentorat", "email": f"{name.lower()}.mentoring@example.org",
            "locale": "fr", "cohort": {"program": "Grande École", "graduation_year": year}}
    r = httpx.post(f"{gw}/api/v1/members", json=body, headers=staff, timeout=60)
    assert r.status_code == 201, r.text
    return str(r.json()["member_id"])


def problem(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_mentoring_program_from_enrolment_to_figures(platform: Platform) -> None:
    gw = platform.gateway_url
    c = httpx.Client(timeout=60)  # generous: CI runs on a loaded machine
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    other_tenant = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
    mentor, mentee, outsider = (register(gw, staff, n, y) for n, y in (("Marc", 2005), ("Lea", 2026), ("Oscar", 2026)))

    def who(member_id: str, tenant: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {platform.issue_token('alumnus', tenant=tenant, member_id=member_id)}"}

    problem(c.post(f"{gw}{PROGRAMS}", headers=staff, json={
        "name_fr": "Premier emploi", "name_en": "First job", "starts_on": "2027-06-30", "ends_on": "2027-01-01"}), 422)
    problem(c.post(f"{gw}{PROGRAMS}", headers=staff, json={"name_fr": "Sans nom anglais"}), 422)
    problem(c.post(f"{gw}{PROGRAMS}", headers=who(mentor), json={"name_fr": "x", "name_en": "x"}), 403)
    r = c.post(f"{gw}{PROGRAMS}", headers={**staff, "Idempotency-Key": "e2e-mentoring-program"},
                   json={"name_fr": "Premier emploi E2E", "name_en": "First job E2E", "matching": "manager",
                         "starts_on": "2027-01-15", "ends_on": "2027-06-30", "max_mentees_per_mentor": 2})
    assert r.status_code == 201 and r.json()["status"] == "draft", r.text
    program_id = r.json()["program_id"]
    assert c.get(f"{gw}{PROGRAMS}/{program_id}", headers=who(mentor)).status_code == 404, "a draft is hidden"
    r = c.post(f"{gw}{PROGRAMS}/{program_id}/open", headers=staff)
    assert r.status_code == 200 and r.json()["status"] == "open", r.text
    assert c.get(f"{gw}{PROGRAMS}/{program_id}", headers=other_tenant).status_code == 404

    def enrolled(member_id: str, body: dict[str, Any]) -> bool:  # once members' event reached community
        r = c.put(f"{gw}{PROGRAMS}/{program_id}/enrolment", headers=who(member_id), json=body)
        assert r.status_code in (200, 422), r.text
        return r.status_code == 200

    mentor_profile = {"role": "mentor", "topics": ["first_job", "industry"], "capacity": 2, "languages": ["fr", "en"],
                      "sector": "finance", "city": "Paris", "availability": "1 h par mois"}
    wait_until(lambda: enrolled(mentor, mentor_profile), 60, "the mentor's enrolment")
    wait_until(lambda: enrolled(mentee, {"role": "mentee", "topics": ["first_job"], "languages": ["fr"],
                                         "sector": "Finance"}), 60, "the mentee's enrolment")
    problem(c.put(f"{gw}{PROGRAMS}/{program_id}/enrolment", headers=who(mentor),
                      json={**mentor_profile, "languages": ["french"]}), 422)
    problem(c.put(f"{gw}{PROGRAMS}/{program_id}/enrolment", headers=who(mentor),
                      json={**mentor_profile, "capacity": 3}), 422)  # over the program's rule
    problem(c.put(f"{gw}{PROGRAMS}/{program_id}/enrolment", headers=who(mentor),
                      json={**mentor_profile, "role": "mentee"}), 409)

    r = c.get(f"{gw}{PROGRAMS}/{program_id}/suggestions", headers=staff)
    assert r.status_code == 200, r.text
    [pair] = r.json()["plan"]
    assert (pair["mentor"]["member_id"], pair["mentee"]["member_id"]) == (mentor, mentee)
    explained = {x["criterion"]: x["detail"] for x in pair["reasons"]}
    assert explained["topics"] == "first_job" and explained["sector"] == "finance" and explained["language"] == "fr"
    assert "email" not in str(pair), "no contact in a suggestion"
    problem(c.post(f"{gw}{PROGRAMS}/{program_id}/matches", headers=who(mentee), json={"mentor_id": mentor}), 403)

    match = {"mentor_id": mentor, "mentee_id": mentee}
    r = c.post(f"{gw}{PROGRAMS}/{program_id}/matches", headers={**staff, "Idempotency-Key": "e2e-mentoring-m1"},
                   json=match)
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    mentorship_id = r.json()["mentorship_id"]
    again = c.post(f"{gw}{PROGRAMS}/{program_id}/matches", headers={**staff, "Idempotency-Key": "e2e-mentoring-m1"},
                       json=match)
    assert again.status_code == 201 and again.json()["mentorship_id"] == mentorship_id, "same key, same mentorship"
    problem(c.post(f"{gw}{PROGRAMS}/{program_id}/matches", headers=staff, json=match), 409)  # a new key: a duplicate

    one = f"{gw}{MENTORSHIPS}/{mentorship_id}"
    assert c.get(one, headers=who(mentee)).json()["contact"] is None, "no contact before activation"
    assert c.get(one, headers=who(outsider)).status_code == 404
    assert c.get(one, headers=other_tenant).status_code == 404
    assert c.get(one, headers=who(mentee, "other")).status_code in (401, 403, 404)
    assert c.get(f"{gw}{MENTORSHIPS}", headers=who(outsider)).json()["items"] == []
    problem(c.post(f"{one}/answer", headers=who(mentee), json={"accept": True}), 403)  # the mentor answers

    r = c.post(f"{one}/answer", headers=who(mentor), json={"accept": True})
    assert r.status_code == 200 and r.json()["contact"]["email"] == "lea.mentoring@example.org", r.text
    assert c.get(one, headers=who(mentee)).json()["contact"]["email"] == "marc.mentoring@example.org"
    problem(c.post(f"{one}/check-ins", headers=who(mentee), json={"on": "2027-02-30", "note": "x"}), 422)
    problem(c.post(f"{one}/check-ins", headers=who(outsider), json={"on": "2027-02-03", "note": "x"}), 404)
    for member_id, note in ((mentee, "CV relu"), (mentor, "Deux entreprises à contacter")):
        r = c.post(f"{one}/check-ins", headers=who(member_id), json={"on": "2027-02-03", "note": note})
        assert r.status_code == 200, r.text
    assert [c["note"] for c in r.json()["check_ins"]] == ["CV relu", "Deux entreprises à contacter"]

    problem(c.post(f"{one}/close", headers=who(mentee), json={"outcome": "completed", "satisfaction": 6,
                                                                  "goals_met": True}), 422)
    r = c.post(f"{one}/close", headers=who(mentee),
                   json={"outcome": "completed", "satisfaction": 5, "goals_met": True, "comment": "Un CDI !"})
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text

    figures = c.get(f"{gw}/api/v1/mentoring/figures", headers=staff).json()
    assert figures["min_group_size"] == 5
    row = next(x for x in figures["by_program"] if x["group"] == program_id)
    assert row["suppressed"] and row["relationships"] is None and row["completion_rate"] is None
    assert all(x["by_status"] is None for x in figures["by_cohort"] if x["suppressed"])
    assert c.get(f"{gw}/api/v1/mentoring/figures", headers=who(mentee)).status_code == 403
    assert c.get(f"{gw}/api/v1/mentoring/figures", params={"program_id": "../x"}, headers=staff
                     ).status_code == 422

    def exported() -> bool:
        r = c.get(f"{gw}/api/v1/me/export", headers=who(mentee))
        community = r.json().get("services", {}).get("community", {}) if r.status_code == 200 else {}
        return bool(community.get("mentorships")) and bool(community.get("mentoring_participants"))

    wait_until(exported, 60, "the mentee's export to hold their mentoring data")


def test_demo_seed_matches_the_first_job_program(platform: Platform) -> None:
    import asyncio

    from alumni_local.seed_mentoring import seed_mentoring

    gw = platform.gateway_url
    c = httpx.Client(timeout=60)
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}

    async def run() -> list[str]:
        async with httpx.AsyncClient(base_url=gw, timeout=60, headers=staff) as client:
            return await seed_mentoring(client, gw, lambda m: platform.issue_token("alumnus", member_id=m))

    assert asyncio.run(run()) == []
    programs = {p["name_fr"]: p for p in c.get(f"{gw}{PROGRAMS}", headers=staff).json()["items"]}
    first_job = programs["Premier emploi 2027"]
    assert first_job["status"] == "open" and (first_job["mentors"], first_job["mentees"]) == (5, 7)
    assert programs["Entrepreneuriat 2027"]["matching"] == "mentee"
    listed = c.get(f"{gw}{MENTORSHIPS}", params={"scope": "all", "program_id": first_job["program_id"]},
                       headers=staff).json()["items"]
    assert sorted(m["status"] for m in listed) == ["abandoned", "active", "active", "active", "completed",
                                                   "completed", "pending"]
    assert any(m["mentee_first_name"] == "Camille" and len(m["surveys"]) == 2 for m in listed)
    figures = c.get(f"{gw}/api/v1/mentoring/figures", params={"program_id": first_job["program_id"]},
                        headers=staff).json()
    assert not figures["total"]["suppressed"] and figures["total"]["relationships"] == 7
    assert figures["total"]["mentees_per_mentor"] == 1.4 and figures["total"]["completion_rate"] is None
    assert asyncio.run(run()) == [], "a second run replays the same answers"
