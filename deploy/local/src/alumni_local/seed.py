"""Demo data: alumni across 40 cohorts, registered through the gateway like a real client —
with directory opt-ins, careers and a mix of visibility choices, so the directory is real.

Idempotency keys derive from the row, so seeding twice (a second `make run`) changes nothing.
"""

from __future__ import annotations

import asyncio
import random
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from alumni_local.http_retry import AsyncRetryTransport, describe
from alumni_local.seed_community import seed_community
from alumni_local.seed_dues import DuesDemo, seed_dues
from alumni_local.seed_events import EventsDemo, seed_events_demo
from alumni_local.seed_gifts import seed_gifts
from alumni_local.seed_job_alerts import seed_job_alerts
from alumni_local.seed_kpis import NEW_GRADUATES, seed_dues_kpi_demo
from alumni_local.seed_mentoring import seed_mentoring
from alumni_local.seed_notifications import seed_notifications
from alumni_local.seed_outcomes import seed_outcomes
from alumni_local.seed_receipts import seed_legal_entities, seed_receipts

SEED_SUBJECT = "local-seed"
"""Subject of the seeder's token: the local runner exempts it from the gateway's API rate limit."""

FIRST = ["Béatrice", "Camille", "Hélène", "Zoé", "Amélie", "Léa", "Chloé", "Inès", "Jérôme", "François",
         "Noël", "Gaëtan", "Thibault", "Mathis", "Lucas", "Hugo", "Aïcha", "Mehdi", "Yann", "Sophie",
         "Jean-Pierre", "Marie-Claire", "Océane", "Loïc", "Anaïs", "Cédric", "Raphaël", "Maëlle", "Élise", "Timothée"]
LAST = ["Dupont", "Lefèvre", "Müller", "Martin", "Bernard", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
        "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard",
        "N'Diaye", "Le Goff", "Nguyen", "Da Silva", "Béranger", "Châtelain", "Kowalski", "Benali", "Perrin", "Faure"]
PROGRAMS = ["Grande École", "MSc Finance", "MSc Data Science", "Executive MBA", "Bachelor BBA"]
YEARS = list(range(2016, 2024))  # 5 programs × 8 years = 40 cohorts
EMPLOYERS = [("Airbus", "aerospace"), ("BNP Paribas", "banking"), ("L'Oréal", "consumer-goods"),
             ("Capgemini", "consulting"), ("TotalEnergies", "energy"), ("Société Générale", "banking"),
             ("Doctolib", "technology"), ("Ubisoft", "technology"), ("Danone", "consumer-goods"),
             ("Deloitte", "consulting"), ("Thales", "aerospace"), ("Ministère des Armées", "public-sector")]
CITIES = [("Paris", "FR"), ("Lyon", "FR"), ("Lille", "FR"), ("Bordeaux", "FR"), ("Nantes", "FR"),
          ("London", "GB"), ("Montréal", "CA"), ("Singapore", "SG"), ("Berlin", "DE"), ("Casablanca", "MA")]
TITLES = ["Analyst", "Consultant", "Product Manager", "Engineer", "Head of Finance", "Data Scientist", "Founder"]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum() or c == "-")


def demo_members(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        employer, sector = rng.choice(EMPLOYERS)
        city, country = rng.choice(CITIES)
        rows.append({
            "register": {
                "first_name": first, "last_name": last, "email": f"{_ascii(first)}.{_ascii(last)}.{i}@example.org",
                "locale": "fr" if rng.random() < 0.7 else "en",
                "cohort": {"program": PROGRAMS[i % len(PROGRAMS)], "graduation_year": YEARS[(i // len(PROGRAMS)) % 8]},
            },
            "listed": rng.random() < 0.8,
            # A few notable alumni on the showcase, and a few ambassadors (for their city).
            "showcase": i % 200 == 0,
            "ambassador": i % 250 == 5,
            "profile": {
                "city": city, "country": country,
                "career": [{"employer": employer, "job_title": rng.choice(TITLES), "sector": sector,
                            "city": city, "country": country}],
                "visibility": {"email": rng.choice(["alumni", "managers"]),
                               "career": rng.choice(["alumni", "alumni", "managers"]),
                               "location": rng.choice(["alumni", "hidden"])},
            },
        })
    return rows


async def seed(gateway_url: str, token: str, count: int, concurrency: int = 8,
               progress: Callable[[int, int], None] | None = None,
               retried: Counter[str] | None = None,
               transport: httpx.AsyncBaseTransport | None = None,
               dues: DuesDemo | None = None, events: EventsDemo | None = None,
               alumnus_token: Callable[[str], str] | None = None,
               partner_token: str | None = None) -> tuple[int, int]:
    """Returns (registered or already present, failed). `retried` counts the requests retried
    by reason (`429`, `503`, `ConnectError`, …); `transport` replaces the network (tests);
    `dues`, when given, receives the dues demo (`seed_dues`); `alumnus_token(member_id)` lets the
    community demo act as alumni (`seed_community`)."""
    done = failed = 0
    semaphore = asyncio.Semaphore(concurrency)
    retries: Counter[str] = Counter() if retried is None else retried

    def on_retry(_: httpx.Request, reason: str, _delay: float, _attempt: int) -> None:
        retries[reason] += 1

    async with httpx.AsyncClient(base_url=gateway_url, timeout=60, transport=AsyncRetryTransport(transport, on_retry=on_retry),
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def one(i: int, row: dict[str, Any]) -> None:
            nonlocal done, failed
            async with semaphore:
                ok = await _seed_row(client, i, row)
            done += ok
            failed += not ok
            if progress is not None:
                progress(done + failed, count)

        for key, group in DEMO_GROUPS.items():
            r = await client.post("/api/v1/groups", json=group, headers={"Idempotency-Key": key})
            if r.status_code >= 400 and r.status_code != 409:  # 409: created by an earlier run
                print(f"seed group {group['name']}: {describe(r)}", file=sys.stderr)
        for key, plan in DEMO_PLANS.items():  # the key makes a rerun return the plan created first
            r = await client.post("/api/v1/membership-plans", json=plan, headers={"Idempotency-Key": key})
            if r.status_code >= 400 and r.status_code != 409:
                print(f"seed membership plan {plan['name']}: {describe(r)}", file=sys.stderr)
        entity_problems = await seed_legal_entities(client, DEMO_PLANS)  # before any dues are paid
        await asyncio.gather(*(one(i, row) for i, row in enumerate(demo_members(count))))
        # A draft newsletter to the class of 2016, to preview and send from the console.
        r = await client.post("/api/v1/newsletters", json=DEMO_NEWSLETTER,
                              headers={"Idempotency-Key": "demo-seed-newsletter-2016"})
        if r.status_code >= 400:
            print(f"seed newsletter: {describe(r)}", file=sys.stderr)
        # Memberships across cohorts and programs (dues KPIs panel); recent graduates only in a
        # register large enough for them (one per 50 seeded members, at most NEW_GRADUATES).
        await seed_dues_kpi_demo(client, new_graduates=min(NEW_GRADUATES, count // 50))
        await seed_notifications(client)  # bounces, an English welcome, contactability below 100 %
        gifts = await seed_gifts(client)  # the fundraising demo: a giving day for the foundation
        for problem in gifts.problems:
            print(problem, file=sys.stderr)
        if dues is not None:
            seeded = await seed_dues(client, DEMO_PLANS)
            dues.members, dues.statuses, dues.problems = seeded.members, seeded.statuses, seeded.problems
        if events is not None:  # the class of 2016's reunion (events, desk, figures)
            shown = await seed_events_demo(client)
            events.__dict__.update(shown.__dict__)
        receipts_demo = await seed_receipts(client)
        for problem in [*entity_problems, *receipts_demo.problems]:
            print(f"seed receipts: {problem}", file=sys.stderr)
        # Community (issue 14): helpers, help requests, one accepted and reported.
        for problem in await seed_community(client, gateway_url, alumnus_token, partner_token):
            print(f"seed community: {problem}", file=sys.stderr)
        # Job alerts (issue 14 item 4): an approved offer alerts Léa Alerte, whose alert matches.
        for problem in await seed_job_alerts(client, gateway_url, alumnus_token, partner_token):
            print(f"seed job alerts: {problem}", file=sys.stderr)
        # Mentoring (issue 14): "Premier emploi 2027" with pairs matched, one self-selected program.
        for problem in await seed_mentoring(client, gateway_url, alumnus_token):
            print(f"seed mentoring: {problem}", file=sys.stderr)
        # Career outcomes (issue 14): the class of 2025's survey, one group shown, one suppressed.
        for problem in await seed_outcomes(client, gateway_url):
            print(f"seed outcomes: {problem}", file=sys.stderr)
    return done, failed


DEMO_NEWSLETTER: dict[str, Any] = {
    "subject_fr": "Promo 2016 : dix ans déjà !", "subject_en": "Class of 2016: ten years already!",
    "body_fr": "## Bonjour à toute la promo 2016\n\nPour fêter vos **dix ans**, le gala des anciens a lieu le "
               "**13 juin 2026** à Paris. Inscriptions bientôt ouvertes dans votre espace alumni.\n\n"
               "- Dîner et soirée\n- Visite du campus rénové\n\nÀ très vite,\nL'équipe alumni",
    "body_en": "## Hello, class of 2016\n\nTo celebrate your **tenth anniversary**, the alumni gala takes place on "
               "**13 June 2026** in Paris. Registration opens soon in your alumni space.\n\n"
               "- Dinner and party\n- Tour of the renovated campus\n\nSee you soon,\nThe alumni team",
    "segment": {"cohort_years": [2016], "consent_purpose": "newsletter"},
}
DEMO_GROUPS = {
    "demo-seed-group-lyon": {"kind": "region", "name": "Alumni de Lyon", "policy": "open",
                             "description": "Le groupe régional lyonnais / The Lyon chapter"},
    "demo-seed-group-finance": {"kind": "club", "name": "Club Finance", "policy": "invitation",
                                "description": "Finance professionals / Professionnels de la finance"},
}
ENTITY = "Association des diplômés (loi 1901)"
DEMO_PLANS: dict[str, dict[str, Any]] = {
    "demo-seed-plan-young": {"name": "Jeune diplômé", "kind": "annual", "price_minor": 2000, "currency": "EUR",
                             "legal_entity": ENTITY, "tax_deductible_minor": 2000, "max_years_since_graduation": 3,
                             "free_first_year_within_years": 0,
                             "description": "Within 3 years of graduation; first year free for the new graduates"},
    "demo-seed-plan-standard": {"name": "Standard", "kind": "annual", "price_minor": 6000, "currency": "EUR",
                                "legal_entity": ENTITY, "tax_deductible_minor": 4500},
    "demo-seed-plan-supporter": {"name": "Bienfaiteur", "kind": "annual", "price_minor": 15000, "currency": "EUR",
                                 "legal_entity": ENTITY, "tax_deductible_minor": 13500},
    "demo-seed-plan-couple": {"name": "Couple", "kind": "annual", "price_minor": 9000, "currency": "EUR",
                              "legal_entity": ENTITY, "tax_deductible_minor": 7000},
    "demo-seed-plan-lifetime": {"name": "À vie", "kind": "lifetime", "price_minor": 90000, "currency": "EUR",
                                "legal_entity": ENTITY, "tax_deductible_minor": 90000},
    "demo-seed-plan-lifetime-3": {"name": "À vie en 3 fois", "kind": "lifetime", "price_minor": 90000,
                                  "currency": "EUR", "instalments": 3, "instalment_interval_months": 1,
                                  "legal_entity": ENTITY, "tax_deductible_minor": 90000},
}
QUOTES = ["L'école m'a ouvert les portes de l'international.", "Des amitiés pour la vie, un réseau pour la carrière.",
          "What I learnt here, I use every day.", "Un réseau qui répond toujours présent."]


async def _seed_extras(client: httpx.AsyncClient, i: int, member_id: str, row: dict[str, Any]) -> bool:
    calls: list[tuple[str, str, dict[str, Any]]] = []
    if row["showcase"]:
        until = f"{2027 + i % 2}-12-31T23:59:59Z"
        calls += [("PUT", f"/api/v1/members/{member_id}/showcase", {"quote": QUOTES[i % len(QUOTES)]}),
                  ("PUT", f"/api/v1/members/{member_id}/consents/showcase", {
                      "granted": True, "text_version": "vitrine-2026", "language": "fr", "channel": "console",
                      "scope": {"fields": ["name", "cohort", "quote", "employer"], "channels": ["website", "partners"],
                                "expires_at": until}})]
    if row["ambassador"]:
        calls.append(("PUT", f"/api/v1/members/{member_id}/ambassador", {"cities": [row["profile"]["city"]]}))
    if i % 3 != 2:  # two in three alumni take the newsletters (the demo newsletter's audience)
        calls.append(("PUT", f"/api/v1/members/{member_id}/consents/newsletter",
                      {"granted": True, "text_version": "lettre-2026", "language": row["register"]["locale"],
                       "channel": "import"}))
    for n, (method, path, body) in enumerate(calls):
        r = await client.request(method, path, json=body, headers={"Idempotency-Key": f"demo-seed-extra-{i}-{n}"})
        if r.status_code != 200:
            print(f"seed row {i} {path}: {describe(r)}", file=sys.stderr)
            return False
    return True


async def _seed_row(client: httpx.AsyncClient, i: int, row: dict[str, Any]) -> bool:
    r = await client.post("/api/v1/members", json=row["register"], headers={"Idempotency-Key": f"demo-seed-{i}"})
    if r.status_code == 409:
        return True  # registered by an earlier run whose idempotency keys have expired
    if r.status_code != 201:
        print(f"seed row {i}: {describe(r)}", file=sys.stderr)
        return False
    member_id = r.json()["member_id"]
    if row["listed"]:
        r = await client.put(f"/api/v1/members/{member_id}/consents/directory",
                             json={"granted": True, "text_version": "annuaire-2026", "language": "fr", "channel": "import"},
                             headers={"Idempotency-Key": f"demo-seed-consent-{i}"})
        if r.status_code != 200:
            print(f"seed row {i} consent: {describe(r)}", file=sys.stderr)
            return False
    # The version this seed leaves the member at before the profile edit (1 after registering,
    # 2 after the consent): fixed, so that a later run replays the same request under its key.
    version = 2 if row["listed"] else 1
    r = await client.patch(f"/api/v1/members/{member_id}", json={"version": version, **row["profile"]},
                           headers={"Idempotency-Key": f"demo-seed-profile-{i}"})
    if r.status_code not in (200, 409):  # 409: edited since by someone else; nothing to seed
        print(f"seed row {i} profile: {describe(r)}", file=sys.stderr)
        return False
    return await _seed_extras(client, i, member_id, row)
