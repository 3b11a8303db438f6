"""Job alerts demo for `make run` (issue 14 item 4's "matching alumni are notified"): **Léa
Alerte** (MSc Finance 2024, newsletter consent) sets a job alert for finance in Paris
(permanent or fixed-term); the partner recruiter then posts **Analyste marchés de capitaux**
(finance, Paris, permanent) and the manager approves it: `job_posted` reaches notifications,
which alerts Léa by email (the console's mailbox) and in her in-app feed — once, however often
the demo is run again (idempotency keys; the delivery key is the offer and the member)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from alumni_local.http_retry import describe

LEA = {"first_name": "Léa", "last_name": "Alerte", "email": "lea.alerte.demo@example.org", "locale": "fr",
       "cohort": {"program": "MSc Finance", "graduation_year": 2024}}
ALERT = {"enabled": True, "sectors": ["Finance"], "cities": ["Paris"], "contracts": ["permanent", "fixed_term"]}
JOB = {"title": "Analyste marchés de capitaux", "company": "Banque Démo", "city": "Paris", "sector": "finance",
       "contract": "permanent", "remote": "hybrid", "apply_url": "https://jobs.example.org/marches",
       "description_fr": "CDI en salle des marchés, équipe obligataire.",
       "description_en": "Permanent role on the bond desk."}


async def seed_job_alerts(client: httpx.AsyncClient, gateway_url: str, alumnus_token: Callable[[str], str] | None,
                          partner_token: str | None) -> list[str]:
    """Returns the problems met (empty when the demo is in place)."""
    if alumnus_token is None or partner_token is None:
        return []
    r = await client.post("/api/v1/members", json=LEA, headers={"Idempotency-Key": "demo-job-alerts-lea"})
    if r.status_code != 201:
        return [f"Léa: {describe(r)}"]
    lea = str(r.json()["member_id"])
    r = await client.put(f"/api/v1/members/{lea}/consents/newsletter", headers={
        "Idempotency-Key": "demo-job-alerts-lea-newsletter"}, json={
        "granted": True, "text_version": "newsletter-2026", "language": "fr", "channel": "console"})
    if r.status_code != 200:
        return [f"Léa's consent: {describe(r)}"]
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {alumnus_token(lea)}"}) as alumna:
        r = await alumna.put("/api/v1/me/job-alerts", json=ALERT, headers={"Idempotency-Key": "demo-job-alerts-set"})
        if r.status_code != 200:
            return [f"Léa's job alert: {describe(r)}"]
        for _ in range(150):  # notifications must know her address (her welcome) and consent before the approval
            if r.status_code == 200 and r.json().get("consent"):
                feed = await alumna.get("/api/v1/me/notifications")
                if feed.status_code == 200 and feed.json()["items"]:
                    break
            await asyncio.sleep(0.2)
            r = await alumna.get("/api/v1/me/job-alerts")
        else:
            return ["Léa's consent did not reach notifications"]
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {partner_token}"}) as partner:
        r = await partner.post("/api/v1/jobs", json=JOB, headers={"Idempotency-Key": "demo-job-alerts-offer"})
    if r.status_code != 201:
        return [f"alerted offer: {describe(r)}"]
    r = await client.post(f"/api/v1/jobs/{r.json()['job_id']}/review", json={"approve": True},
                          headers={"Idempotency-Key": "demo-job-alerts-review"})
    return [] if r.status_code in (200, 409) else [f"approve the alerted offer: {describe(r)}"]
