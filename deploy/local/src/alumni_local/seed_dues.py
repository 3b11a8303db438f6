"""Dues demo data for `make run` (issue 10's "Done when"), through the gateway like a real client.

Besides the plans (`seed.DEMO_PLANS`), four members show every path of the dues state machine:

- **Camille Adhérente** has no membership: the person running the demo signs in as her (the
  runner prints an alumnus console link), joins the standard plan under "Ma cotisation / My
  membership", pays on the local provider's page, becomes active, downloads the certificate.
- **Louis Échelonné** pays the lifetime plan in three instalments: the first two are recorded
  (cheques), the third is due — part-way, reminded if missed, never silently downgraded.
- **Inès Reprise** migrated her dues history: last year's cheque, received 14 months ago and
  entered now with its reason (`late_entry_reason`), bought a period that has ended, then its
  grace — the rules date each transition when it was due (active → in grace → lapsed, what the
  scheduler does for a period ending today); then this year's transfer reactivates her.
- **Hugo Retard** paid 12 months and 10 days ago (cheque entered late): his period ended 10 days ago, he
  is in grace, the reminders say so, and the scheduler lapses him when the grace ends.

Idempotency keys are fixed: a second `make run` changes nothing.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from alumni_local.http_retry import describe

ENTITY = "Association des diplômés (loi 1901)"
STANDARD, LIFETIME_3 = "demo-seed-plan-standard", "demo-seed-plan-lifetime-3"
COHORT = {"program": "Grande École", "graduation_year": 2012}
LATE = "Historique de cotisations migré / migrated dues history"


@dataclass(frozen=True)
class DemoMember:
    key: str
    first_name: str
    last_name: str
    locale: str = "fr"


JOINER = DemoMember("joiner", "Camille", "Adhérente")
INSTALMENTS = DemoMember("instalments", "Louis", "Échelonné")
REACTIVATED = DemoMember("reactivated", "Inès", "Reprise", "en")
IN_GRACE = DemoMember("grace", "Hugo", "Retard")
DEMO_MEMBERS = (JOINER, INSTALMENTS, REACTIVATED, IN_GRACE)


@dataclass
class DuesDemo:
    """What the runner tells: who to sign in as, and what each demo member shows."""

    members: dict[str, str] = field(default_factory=dict)  # key → member id
    statuses: dict[str, str] = field(default_factory=dict)  # key → membership status after the seed
    problems: list[str] = field(default_factory=list)


class SeedProblem(Exception):
    pass


async def _call(client: httpx.AsyncClient, method: str, path: str, key: str | None, body: dict[str, Any] | None,
                ok: tuple[int, ...] = (200, 201)) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    r = await client.request(method, path, json=body, headers=headers)
    if r.status_code not in ok:
        raise SeedProblem(f"{method} {path}: {describe(r)}")
    return dict(r.json()) if r.content else {}


async def _plan_ids(client: httpx.AsyncClient, plans: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The plans' ids: creating them again under their keys returns the first result; once the
    keys expired (409 or a new plan would be wrong), they are found by name."""
    found = {p["name"]: p["plan_id"] for p in (await _call(client, "GET", "/api/v1/membership-plans", None, None))["items"]}
    return {key: found[plan["name"]] for key, plan in plans.items() if plan["name"] in found}


async def _member(client: httpx.AsyncClient, who: DemoMember) -> str:
    body = {"first_name": who.first_name, "last_name": who.last_name, "locale": who.locale, "cohort": COHORT,
            "email": f"{who.key}.dues-demo@example.org"}
    r = await client.post("/api/v1/members", json=body, headers={"Idempotency-Key": f"demo-seed-dues-{who.key}"})
    if r.status_code == 201:
        return str(r.json()["member_id"])
    raise SeedProblem(f"register {who.first_name} {who.last_name}: {describe(r)}")


async def _join(client: httpx.AsyncClient, member_id: str, plan_id: str, key: str) -> dict[str, Any]:
    return await _call(client, "POST", f"/api/v1/members/{member_id}/membership", f"demo-seed-dues-join-{key}",
                       {"plan_id": plan_id})


async def _pay(client: httpx.AsyncClient, joined: dict[str, Any], key: str, amount: int, received_on: date,
               method: str = "cheque", instalment: tuple[int, int] | None = None, late: str | None = None) -> None:
    m = joined["membership"]
    body: dict[str, Any] = {"purpose": "dues", "reference_id": m["membership_id"], "member_id": m["member_id"],
                            "plan_id": m["plan_id"], "amount_minor": amount, "currency": "EUR", "method": method,
                            "reference": f"DEMO-{key.upper()}", "received_on": received_on.isoformat()}
    if instalment is not None:
        body["instalment"], body["instalments"] = instalment
    if late is not None:
        body["late_entry_reason"] = late
    await _call(client, "POST", "/api/v1/payments/manual", f"demo-seed-dues-pay-{key}", body)


async def _status(client: httpx.AsyncClient, member_id: str, wanted: set[str], timeout: float = 60,
                  payments: int = 0) -> dict[str, Any]:
    """The membership once members applied the payments (events): its status in `wanted`, with
    at least `payments` applied."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await client.get(f"/api/v1/members/{member_id}/membership")
        m = dict(r.json()) if r.status_code == 200 else {}
        if m.get("status") in wanted and sum(bool(p.get("applied")) for p in m.get("payments", [])) >= payments:
            return m
        if asyncio.get_running_loop().time() > deadline:
            raise SeedProblem(f"membership of {member_id} is {m.get('status')!r}, expected one of {sorted(wanted)}")
        await asyncio.sleep(0.5)


async def seed_dues(client: httpx.AsyncClient, plans: dict[str, dict[str, Any]], today: date | None = None) -> DuesDemo:
    """The four demo members and their dues (see the module's docstring); never raises: what
    went wrong is in `problems` (the runner prints it)."""
    demo = DuesDemo()
    today = today or date.today()
    try:
        plan_ids = await _plan_ids(client, plans)
        standard, lifetime = plan_ids[STANDARD], plan_ids[LIFETIME_3]
        for who in DEMO_MEMBERS:
            demo.members[who.key] = await _member(client, who)

        # (b) lifetime in three instalments, two paid: 300 € each (the plan's 900 € / 3).
        joined = await _join(client, demo.members[INSTALMENTS.key], lifetime, INSTALMENTS.key)
        first = joined["due"]["amount_minor"] if joined.get("due") else plans[LIFETIME_3]["price_minor"] // 3
        await _pay(client, joined, "life-1", first, today - timedelta(days=20), instalment=(1, 3))
        await _status(client, demo.members[INSTALMENTS.key], {"active"})
        await _pay(client, joined, "life-2", plans[LIFETIME_3]["price_minor"] // 3, today, instalment=(2, 3))

        # (c) a migrated history: last year's cheque bought a period that ended, then its grace.
        joined = await _join(client, demo.members[REACTIVATED.key], standard, REACTIVATED.key)
        price = plans[STANDARD]["price_minor"]
        await _pay(client, joined, "history", price, today - timedelta(days=425), late=LATE)
        await _status(client, demo.members[REACTIVATED.key], {"lapsed", "active"})
        rejoined = await _join(client, demo.members[REACTIVATED.key], standard, f"{REACTIVATED.key}-again")
        await _pay(client, rejoined, "reactivation", price, today, method="transfer")

        joined = await _join(client, demo.members[IN_GRACE.key], standard, IN_GRACE.key)
        await _pay(client, joined, "grace", price, today - timedelta(days=375), late=LATE)

        for who, wanted, applied in ((INSTALMENTS, {"active"}, 2), (REACTIVATED, {"active"}, 2),
                                     (IN_GRACE, {"in_grace", "lapsed"}, 1)):
            m = await _status(client, demo.members[who.key], wanted, payments=applied)
            demo.statuses[who.key] = str(m["status"])
    except (SeedProblem, KeyError, httpx.HTTPError) as exc:
        demo.problems.append(f"dues demo: {exc!r}")
        print(f"seed dues demo: {exc!r}", file=sys.stderr)
    return demo


def describe_demo(demo: DuesDemo, console_url: str, alumnus_token: str | None) -> str:
    """What the runner prints once the seed is done (FR/EN)."""
    lines = ["", "  Cotisations (démo) / Dues (demo):"]
    if alumnus_token:
        lines += [
            f"    Camille Adhérente (ancienne élève / alumna): {console_url}#token={alumnus_token}",
            "      FR : « Ma cotisation » → formule Standard → « Adhérer » → « Payer » sur la page du fournisseur local →",
            "           statut « active » → « Attestation (PDF) ».",
            "      EN: \"My membership\" → Standard plan → \"Join\" → \"Pay\" on the local provider's page →",
            "          status \"active\" → \"Certificate (PDF)\".",
        ]
    described = {INSTALMENTS.key: "Louis Échelonné: à vie en 3 fois, 2/3 réglées / lifetime in 3 instalments, 2 paid",
                 REACTIVATED.key: "Inès Reprise: chèque de l'an dernier saisi en retard → grâce → expirée, puis "
                                  "virement → réactivée / last year's cheque → grace → lapsed, then a transfer → "
                                  "reactivated",
                 IN_GRACE.key: "Hugo Retard: période finie il y a 10 jours, en grâce (rappel envoyé) / period ended "
                               "10 days ago, in grace (reminded)"}
    for key, text in described.items():
        if key in demo.members:
            lines.append(f"    {text} — {demo.statuses.get(key, '?')} (membre / member {demo.members[key]})")
    lines += [f"    {p}" for p in demo.problems]
    return "\n".join(lines)
