"""Community demo data for `make run` (issue 14's "Done when"), through the gateway like a real client.

Mutual aid: five helpers opt in (staff record their profiles: finance, consulting, relocation),
six recent graduates of the class of 2025 and one of 2019 ask for help. **Nina Nouvelle**
(class of 2025) asks for help moving into finance: routed to the two finance helpers with room,
**Hugo Banquier** accepts (their contacts are revealed to each other), they meet, Nina reports
the outcome. The staff figures then show the class of 2025 (six requests) and suppress 2019
(one request, under the minimum group size of 5).

Job board: a partner recruiter (**Recrutement Banque Démo**) posts two offers; the manager
approved the first (listed 30 days, `job_posted`), the second waits in the approval queue; the
office posts one itself (published at once).

Benefits: a members-only discount (its code goes only to dues-paying members — Inès Reprise of the
dues demo is one; Camille Adhérente becomes one once she pays) and a perk open to every alumnus.

Alumni actions use an alumnus token of their own (`alumnus_token(member_id)`). Idempotency keys
are fixed: a second `make run` replays the same answers.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import httpx

from alumni_local.http_retry import describe

FINANCE = {"program": "MSc Finance", "graduation_year": 2008}
HELPERS = [  # key, first, last, cohort, profile
    ("banker", "Hugo", "Banquier", FINANCE, {"topics": ["career_change", "industry", "first_job"], "sector": "finance",
                                             "city": "Paris", "monthly_capacity": 4}),
    ("trader", "Sarah", "Marchés", FINANCE, {"topics": ["career_change", "industry"], "sector": "finance",
                                             "city": "London", "monthly_capacity": 3}),
    ("consultant", "Karim", "Conseil", {"program": "Grande École", "graduation_year": 2012},
     {"topics": ["career_change", "first_job", "company"], "sector": "consulting", "city": "Paris",
      "monthly_capacity": 5}),
    ("expat", "Julie", "Voyage", {"program": "Grande École", "graduation_year": 2015},
     {"topics": ["relocation", "first_job"], "sector": "technology", "city": "Montréal", "monthly_capacity": 5}),
    ("mentor", "Paul", "Ancien", {"program": "Executive MBA", "graduation_year": 1998},
     {"topics": ["career_change", "first_job", "industry", "company"], "sector": "energy", "city": "Lyon",
      "monthly_capacity": 5}),
]
NEW_GRAD = ("nina", "Nina", "Nouvelle", {"program": "MSc Finance", "graduation_year": 2025})
ASKERS = [  # key, first, last, cohort, topic, summary, target sector
    (*NEW_GRAD, "career_change", "Je sors d'un master et je veux entrer en finance de marché : par où commencer ?",
     "finance"),
    ("tom", "Tom", "Débutant", {"program": "Bachelor BBA", "graduation_year": 2025}, "first_job",
     "Premier emploi en conseil : comment préparer les entretiens ?", "consulting"),
    ("lina", "Lina", "Départ", {"program": "Grande École", "graduation_year": 2025}, "relocation",
     "Moving to Montréal next spring: visas, networks, first weeks.", ""),
    ("eva", "Eva", "Secteur", {"program": "MSc Data Science", "graduation_year": 2025}, "industry",
     "Data science in energy: which companies hire juniors?", "energy"),
    ("noe", "Noé", "Choix", {"program": "Grande École", "graduation_year": 2025}, "company",
     "Hésitation entre deux cabinets de conseil, un avis ?", "consulting"),
    ("ines", "Inès", "Cap", {"program": "MSc Finance", "graduation_year": 2025}, "first_job",
     "Premier poste en banque : quelles équipes regarder ?", "finance"),
    ("marc", "Marc", "Reconversion", {"program": "Grande École", "graduation_year": 2019}, "career_change",
     "Après 6 ans d'audit, je veux passer en start-up.", ""),
]


async def _member(client: httpx.AsyncClient, key: str, first: str, last: str, cohort: dict[str, Any]) -> str | None:
    r = await client.post("/api/v1/members", headers={"Idempotency-Key": f"demo-community-member-{key}"},
                          json={"first_name": first, "last_name": last, "locale": "fr", "cohort": cohort,
                                "email": f"{key}.community@example.org"})
    if r.status_code != 201:  # 409: registered by an earlier run whose keys expired
        print(f"seed community member {key}: {describe(r)}", file=sys.stderr)
        return None
    return str(r.json()["member_id"])


async def _until_known(client: httpx.AsyncClient, path: str, body: dict[str, Any], key: str,
                       tries: int = 150) -> httpx.Response:
    """Community learns of a new member from members' event: a 422 `member-unknown` until then."""
    for _ in range(tries):
        r = await client.post(path, json=body, headers={"Idempotency-Key": key})
        if r.status_code != 422 or "member-unknown" not in r.text:
            return r
        await asyncio.sleep(0.2)
    return r


DEMO_JOBS = [  # key, body, approve
    ("analyst", {"title": "Analyste crédit junior", "company": "Banque Démo", "city": "Paris", "sector": "finance",
                 "contract": "permanent", "remote": "hybrid", "apply_url": "https://jobs.example.org/analyste",
                 "description_fr": "**CDI** en équipe crédit corporate. Anglais courant.",
                 "description_en": "**Permanent** role in corporate credit. Fluent French."}, True),
    ("intern", {"title": "Stage contrôle des risques", "company": "Banque Démo", "city": "Lyon", "sector": "finance",
                "contract": "internship", "remote": "onsite", "apply_email": "stages@example.org",
                "description_fr": "Stage de 6 mois à partir de janvier."}, None),
]
OFFICE_JOB = {"title": "Chargé·e de relations alumni", "company": "Association des diplômés", "city": "Paris",
              "sector": "education", "contract": "fixed_term", "remote": "hybrid",
              "apply_email": "recrutement@example.org", "description_fr": "CDD de 12 mois au service alumni."}


DEMO_BENEFITS = {
    "demo-community-benefit-members": {
        "title": "-25 % sur la formation continue", "partner": "Institut Exemple", "members_only": True,
        "code": "COTISANT25", "conditions": "Réservé aux cotisants à jour · Dues-paying members only.",
        "description": "Toutes les formations courtes de l'institut · Every short course."},
    "demo-community-benefit-open": {
        "title": "Café offert au campus", "partner": "Cafétéria du campus", "members_only": False,
        "code": "ALUMNI-CAFE", "conditions": "Une fois par visite · Once per visit."},
}


async def seed_benefits(client: httpx.AsyncClient) -> list[str]:
    problems = []
    for key, body in DEMO_BENEFITS.items():
        r = await client.post("/api/v1/benefits", json=body, headers={"Idempotency-Key": key})
        if r.status_code != 201:
            problems.append(f"benefit {body['title']}: {describe(r)}")
    return problems


async def seed_jobs(client: httpx.AsyncClient, gateway_url: str, partner_token: str | None) -> list[str]:
    problems: list[str] = []
    r = await client.post("/api/v1/jobs", json=OFFICE_JOB, headers={"Idempotency-Key": "demo-community-job-office"})
    if r.status_code != 201:
        problems.append(f"office job: {describe(r)}")
    if partner_token is None:
        return problems
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {partner_token}"}) as partner:
        for key, body, approve in DEMO_JOBS:
            r = await partner.post("/api/v1/jobs", json=body, headers={"Idempotency-Key": f"demo-community-job-{key}"})
            if r.status_code != 201:
                problems.append(f"partner job {key}: {describe(r)}")
                continue
            if approve:
                job_id = r.json()["job_id"]
                r = await client.post(f"/api/v1/jobs/{job_id}/review", json={"approve": True},
                                      headers={"Idempotency-Key": f"demo-community-review-{key}"})
                if r.status_code not in (200, 409):  # 409: approved by an earlier run
                    problems.append(f"approve {key}: {describe(r)}")
    return problems


async def seed_community(client: httpx.AsyncClient, gateway_url: str,
                         alumnus_token: Callable[[str], str] | None,
                         partner_token: str | None = None) -> list[str]:
    """Returns the problems met (empty when the demo is in place)."""
    # Everyone registered at once (community's projection catches up with all of them together),
    # alongside the benefits and the job board.
    everyone: list[tuple[str, str, str, dict[str, Any]]] = [
        *((h[0], h[1], h[2], h[3]) for h in HELPERS), *((a[0], a[1], a[2], a[3]) for a in ASKERS)]
    benefit_problems, job_problems, *registered = await asyncio.gather(
        seed_benefits(client), seed_jobs(client, gateway_url, partner_token),
        *(_member(client, key, first, last, cohort) for key, first, last, cohort in everyone))
    problems: list[str] = [*benefit_problems, *job_problems]  # type: ignore[misc]
    ids: dict[str, str | None] = dict(zip([e[0] for e in everyone], registered, strict=True))  # type: ignore[arg-type]

    async def opt_in(key: str, profile: dict[str, Any]) -> str | None:
        member_id = ids[key]
        if member_id is None:
            return None
        r = await client.get(f"/api/v1/members/{member_id}/helper-profile")  # waits for the projection
        for _ in range(150):
            if r.status_code == 200:
                break
            await asyncio.sleep(0.2)
            r = await client.get(f"/api/v1/members/{member_id}/helper-profile")
        r = await client.put("/api/v1/me/helper-profile", json={**profile, "member_id": member_id},
                             headers={"Idempotency-Key": f"demo-community-helper-{key}"})
        return None if r.status_code == 200 else f"helper {key}: {describe(r)}"

    problems += [p for p in await asyncio.gather(*(opt_in(h[0], h[4]) for h in HELPERS)) if p]
    helpers = {h[0]: ids[h[0]] for h in HELPERS if ids[h[0]] is not None}
    if alumnus_token is None:
        return problems
    nina_request: str | None = None
    for key, _first, _last, _cohort, topic, summary, sector in ASKERS:
        member_id = ids[key]
        if member_id is None:
            continue
        who = {"Authorization": f"Bearer {alumnus_token(member_id)}"}
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30, headers=who) as alumnus:
            r = await _until_known(alumnus, "/api/v1/help-requests",
                                   {"topic": topic, "summary": summary, "target": {"sector": sector}},
                                   f"demo-community-ask-{key}")
        if r.status_code != 201:
            problems.append(f"help request of {key}: {describe(r)}")
        elif key == NEW_GRAD[0]:
            nina_request = r.json()["request_id"]
            nina = member_id
    banker = helpers.get("banker")
    if nina_request and banker:
        steps = [(banker, "answer", {"accept": True}), (banker, "met", {}), (nina, "outcome", {"outcome": "helped"})]
        for actor, step, body in steps:
            async with httpx.AsyncClient(base_url=gateway_url, timeout=30,
                                         headers={"Authorization": f"Bearer {alumnus_token(actor)}"}) as alumnus:
                r = await alumnus.post(f"/api/v1/help-requests/{nina_request}/{step}", json=body,
                                       headers={"Idempotency-Key": f"demo-community-{step}"})
            if r.status_code != 200:
                problems.append(f"Nina's request, {step}: {describe(r)}")
                break
    return problems
