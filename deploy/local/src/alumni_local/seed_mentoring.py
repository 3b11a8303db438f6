"""Mentoring demo data for `make run` (issue 14, item 2), through the gateway like a real client.

The office runs **"Premier emploi 2027 · First job 2027"** (manager-confirmed): five mentors
(capacity 2) and seven mentees of the class of 2026 enrol with their profiles; the manager
confirms seven pairs (the console shows why each fits: shared topics, sector, city, language,
room left). Five mentors accept, one declines (abandoned); **Camille Junior** and her mentor
**Alain Mentor** record check-ins and close as completed with the survey, as does a second pair.
The figures then show the program (seven relationships) and the class of 2026. A second,
self-selected program **"Entrepreneuriat 2027"** is open with two mentors and no pair yet: a
mentee picks her mentor herself.

Idempotency keys are fixed: a second `make run` replays the same answers (409 for a pair
matched by an earlier run whose keys expired is fine).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from alumni_local.http_retry import describe
from alumni_local.seed_community import _member

PROGRAM = {"name_fr": "Premier emploi 2027", "name_en": "First job 2027", "matching": "manager",
           "starts_on": "2027-01-15", "ends_on": "2027-06-30", "max_mentees_per_mentor": 2,
           "description": "Un binôme diplômé·e expérimenté·e / jeune diplômé·e pour six mois · "
                          "Six months of pairing with an experienced alumnus."}
SELF_SELECTED = {"name_fr": "Entrepreneuriat 2027", "name_en": "Entrepreneurship 2027", "matching": "mentee",
                 "starts_on": "2027-02-01", "ends_on": "2027-12-15", "max_mentees_per_mentor": 3}
SENIOR = {"program": "Grande École", "graduation_year": 2004}
JUNIOR = {"program": "Grande École", "graduation_year": 2026}
MENTORS = [  # key, first, last, cohort, profile
    ("alain", "Alain", "Mentor", SENIOR, {"topics": ["first_job", "industry"], "sector": "finance", "city": "Paris",
                                          "languages": ["fr", "en"], "availability": "1 h / mois"}),
    ("berenice", "Bérénice", "Conseil", SENIOR, {"topics": ["first_job", "company"], "sector": "consulting",
                                                 "city": "Paris", "languages": ["fr"]}),
    ("chen", "Chen", "Data", {"program": "MSc Data Science", "graduation_year": 2012},
     {"topics": ["first_job", "career_change"], "sector": "technology", "city": "Lyon", "languages": ["fr", "en"]}),
    ("diane", "Diane", "Industrie", SENIOR, {"topics": ["industry", "leadership"], "sector": "energy",
                                             "city": "Lyon", "languages": ["fr"]}),
    ("emile", "Émile", "Export", SENIOR, {"topics": ["first_job", "relocation"], "sector": "retail",
                                          "city": "London", "languages": ["en", "fr"]}),
]
MENTEES = [  # key, first, last, profile, mentor, then what happens
    ("camille", "Camille", "Junior", {"topics": ["first_job"], "sector": "finance", "city": "Paris",
                                      "languages": ["fr"]}, "alain", "completed"),
    ("hugo", "Hugo", "Recrue", {"topics": ["first_job", "company"], "sector": "consulting", "languages": ["fr"]},
     "berenice", "completed"),
    ("ines", "Inès", "Premier", {"topics": ["first_job"], "sector": "finance", "languages": ["fr"]}, "alain", "active"),
    ("jade", "Jade", "Data", {"topics": ["career_change"], "sector": "technology", "city": "Lyon",
                              "languages": ["en"]}, "chen", "active"),
    ("karl", "Karl", "Énergie", {"topics": ["industry"], "sector": "energy", "languages": ["fr"]}, "diane", "active"),
    ("lou", "Lou", "Londres", {"topics": ["relocation"], "city": "London", "languages": ["en"]}, "emile", "declined"),
    ("malo", "Malo", "Attente", {"topics": ["first_job"], "sector": "consulting", "languages": ["fr"]}, "berenice",
     "pending"),
]
SELF_SELECTED_MENTORS = ("chen", "emile")


async def _enrol(client: httpx.AsyncClient, program_id: str, member_id: str, body: dict[str, Any], key: str,
                 tries: int = 150) -> httpx.Response:
    """Community learns of a new member from members' event: 422 `member-unknown` until then."""
    for _ in range(tries):
        r = await client.put(f"/api/v1/mentoring/programs/{program_id}/enrolment",
                             json={**body, "member_id": member_id}, headers={"Idempotency-Key": key})
        if r.status_code != 422 or "member-unknown" not in r.text:
            return r
        await asyncio.sleep(0.2)
    return r


async def _program(client: httpx.AsyncClient, body: dict[str, Any], key: str, problems: list[str]) -> str | None:
    r = await client.post("/api/v1/mentoring/programs", json=body, headers={"Idempotency-Key": key})
    program_id = r.json().get("program_id") if r.status_code == 201 else None
    if not program_id:
        problems.append(f"program {body['name_en']}: {describe(r)}")
        return None
    r = await client.post(f"/api/v1/mentoring/programs/{program_id}/open", headers={"Idempotency-Key": f"{key}-open"})
    if r.status_code != 200:
        problems.append(f"open {body['name_en']}: {describe(r)}")
    return str(program_id)


async def seed_mentoring(client: httpx.AsyncClient, gateway_url: str,
                         alumnus_token: Callable[[str], str] | None) -> list[str]:
    """Returns the problems met (empty when the demo is in place)."""
    problems: list[str] = []
    people = [(m[0], m[1], m[2], m[3]) for m in MENTORS] + [(e[0], e[1], e[2], JUNIOR) for e in MENTEES]
    program_id, self_selected, *registered = await asyncio.gather(
        _program(client, PROGRAM, "demo-mentoring-program", problems),
        _program(client, SELF_SELECTED, "demo-mentoring-program-self", problems),
        *(_member(client, f"mentoring-{key}", first, last, cohort) for key, first, last, cohort in people))
    ids: dict[str, str | None] = dict(zip([p[0] for p in people], registered, strict=True))
    if program_id is None:
        return problems

    async def enrol(program: str, key: str, body: dict[str, Any], tag: str) -> None:
        member_id = ids[key]
        if member_id is None:
            return
        r = await _enrol(client, program, member_id, body, f"demo-mentoring-{tag}-{key}")
        if r.status_code != 200:
            problems.append(f"enrol {key} in {tag}: {describe(r)}")

    await asyncio.gather(
        *(enrol(program_id, key, {"role": "mentor", "capacity": 2, **profile}, "first-job")
          for key, _f, _l, _c, profile in MENTORS),
        *(enrol(program_id, key, {"role": "mentee", **profile}, "first-job") for key, _f, _l, profile, _m, _s in MENTEES),
        *(enrol(self_selected, key, {"role": "mentor", "capacity": 3, **{**profile, "topics": ["entrepreneurship"]}},
                "self") for key, _f, _l, _c, profile in MENTORS if self_selected and key in SELF_SELECTED_MENTORS))
    if alumnus_token is None:
        return problems
    for key, _first, _last, _profile, mentor_key, fate in MENTEES:
        mentee_id, mentor_id = ids[key], ids[mentor_key]
        if mentee_id is None or mentor_id is None:
            continue
        r = await client.post(f"/api/v1/mentoring/programs/{program_id}/matches",
                              json={"mentor_id": mentor_id, "mentee_id": mentee_id},
                              headers={"Idempotency-Key": f"demo-mentoring-match-{key}"})
        if r.status_code == 409:  # matched by an earlier run whose keys expired
            continue
        mentorship_id = r.json().get("mentorship_id") if r.status_code == 201 else None
        if not mentorship_id:
            problems.append(f"match {key}: {describe(r)}")
            continue
        mentorship = f"/api/v1/mentoring/mentorships/{mentorship_id}"
        steps: list[tuple[str, str, dict[str, Any]]] = []
        if fate != "pending":
            steps.append((mentor_id, "answer", {"accept": fate != "declined"}))
        if fate == "completed":
            steps += [(mentee_id, "check-ins", {"on": "2027-02-10", "note": "CV et pitch relus ensemble."}),
                      (mentor_id, "check-ins", {"on": "2027-03-15", "note": "Simulation d'entretien."}),
                      (mentee_id, "close", {"outcome": "completed", "satisfaction": 5, "goals_met": True,
                                            "comment": "Premier CDI signé en avril !"}),
                      (mentor_id, "close", {"outcome": "completed", "satisfaction": 4, "goals_met": True})]
        for actor, step, body in steps:
            async with httpx.AsyncClient(base_url=gateway_url, timeout=30,
                                         headers={"Authorization": f"Bearer {alumnus_token(actor)}"}) as alumnus:
                r = await alumnus.post(f"{mentorship}/{step}", json=body,
                                       headers={"Idempotency-Key": f"demo-mentoring-{key}-{step}-{actor}"})
            if r.status_code != 200:
                problems.append(f"{key}'s mentorship, {step}: {describe(r)}")
                break
    return problems
