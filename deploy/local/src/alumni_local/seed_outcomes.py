"""Career-outcomes demo for `make run` (issue 14, item 6), through the gateway like a real client.

The office runs the graduate-employment survey of the **class of 2025** (situation at 6 months).
Seven MSc Finance 2025 graduates answer through their personal signed links (six employed — banks,
consulting, one in London — and one still looking): their cohort's figures are shown (response
rate, net employment rate, median salary band, share abroad, top sectors). Two Executive MBA 2025
graduates answer too: a group of two, so every figure about it is suppressed (minimum group size
5), in the console and in the rankings CSV. The other 2025 graduates of the demo have not answered
(the live response rate shows it).

Idempotency keys are fixed and an answer is taken once: a second `make run` changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import httpx

from alumni_local.http_retry import describe

FINANCE_2025 = {"program": "MSc Finance", "graduation_year": 2025}
EMBA_2025 = {"program": "Executive MBA", "graduation_year": 2025}
EMPLOYED = {"situation": "employed", "contract": "permanent", "country": "FR", "consent": True}
RESPONDENTS: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [  # key, first, last, cohort, answer
    ("alice", "Alice", "Crédit", FINANCE_2025, {**EMPLOYED, "sector": "Banque", "salary_band": "45k_50k"}),
    ("bruno", "Bruno", "Fusion", FINANCE_2025, {**EMPLOYED, "sector": "Banque", "salary_band": "50k_60k"}),
    ("chloe", "Chloé", "Audit", FINANCE_2025, {**EMPLOYED, "sector": "Conseil", "salary_band": "40k_45k"}),
    ("david", "David", "City", FINANCE_2025, {**EMPLOYED, "sector": "Banque", "country": "GB",
                                              "salary_band": "60k_80k"}),
    ("emma", "Emma", "Risques", FINANCE_2025, {**EMPLOYED, "contract": "fixed_term", "sector": "Banque",
                                               "salary_band": "40k_45k"}),
    ("farid", "Farid", "Trésor", FINANCE_2025, {**EMPLOYED, "sector": "Banque", "salary_band": "45k_50k"}),
    ("gaelle", "Gaëlle", "Recherche", FINANCE_2025, {"situation": "seeking", "consent": True}),
    ("hector", "Hector", "Direction", EMBA_2025, {**EMPLOYED, "sector": "Industrie", "salary_band": "80k_plus"}),
    ("irene", "Irène", "Stratégie", EMBA_2025, {**EMPLOYED, "sector": "Conseil", "salary_band": "80k_plus"}),
]
SURVEY = {"title": "Enquête insertion promo 2025 (6 mois) · Class of 2025 outcomes (6 months)",
          "cohort_years": [2025], "months_after": 6}


async def seed_outcomes(client: httpx.AsyncClient, gateway_url: str) -> list[str]:
    """Returns the problems met (empty when the demo is in place). `client` acts as staff."""
    problems: list[str] = []

    async def register(key: str, first: str, last: str, cohort: dict[str, Any]) -> str | None:
        r = await client.post("/api/v1/members", headers={"Idempotency-Key": f"demo-outcomes-member-{key}"},
                              json={"first_name": first, "last_name": last, "locale": "fr", "cohort": cohort,
                                    "email": f"{key}.outcomes@example.org"})
        if r.status_code != 201:
            problems.append(f"member {key}: {describe(r)}")
            return None
        member_id = str(r.json()["member_id"])
        for _ in range(150):  # community's projection hears of them (the survey's panel is taken at launch)
            if (await client.get(f"/api/v1/members/{member_id}/helper-profile")).status_code == 200:
                return member_id
            await asyncio.sleep(0.2)
        problems.append(f"member {key}: community never heard of them")
        return member_id

    ids = await asyncio.gather(*(register(k, f, last, c) for k, f, last, c, _ in RESPONDENTS))
    r = await client.post("/api/v1/outcome-surveys", json=SURVEY, headers={"Idempotency-Key": "demo-outcomes-2025"})
    if r.status_code != 201:
        return [*problems, f"outcomes survey: {describe(r)}"]
    survey_id = r.json().get("survey_id")
    if not survey_id:
        return [*problems, f"outcomes survey: no survey id in {describe(r)}"]
    r = await client.get(f"/api/v1/outcome-surveys/{survey_id}/links.csv")
    if r.status_code != 200:
        return [*problems, f"survey links: {describe(r)}"]
    links = {row["member_id"]: row["link"] for row in
             csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";")}
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as public:  # no token: the link is enough
        for member_id, (key, *_rest, answer) in zip(ids, RESPONDENTS, strict=True):
            link = links.get(member_id or "")
            if link is None:
                problems.append(f"answer of {key}: not in the survey's panel")
                continue
            tenant = link.split("tenant=", 1)[1].split("#", 1)[0]
            r = await public.post("/api/v1/public/outcome-survey", params={"tenant": tenant},
                                  json={"token": link.split("#", 1)[1], **answer})
            if r.status_code not in (201, 409):  # 409: answered by an earlier run
                problems.append(f"answer of {key}: {describe(r)}")
    return problems
