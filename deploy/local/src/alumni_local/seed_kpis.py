"""Demo dues memberships for the dues KPIs panel: a share of the seeded alumni, varying by
cohort and program, join a plan and pay by cheque (recorded by the office) at dates spread
over the last fifteen months — so the console shows participation by cohort and program,
renewals, lapses (the scheduler moves year-old unpaid periods to grace, then lapsed), a few
lifetime members and revenue by month.

Deterministic per member id (a hash), with idempotency keys derived from it: seeding again
changes nothing. Members someone else already put on a plan are left alone.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import date, timedelta
from typing import Any

import httpx

from alumni_local.http_retry import describe

MAX_MEMBERSHIPS = 160  # keeps `make run`'s seeding short
NEW_GRADUATES = 24  # this year's and last year's classes, for the new-graduate conversion
GRAD_FIRST = ["Lina", "Nathan", "Jade", "Adam", "Louise", "Gabriel", "Rose", "Sacha"]
GRAD_PROGRAMS = ["Grande École", "MSc Finance", "MSc Data Science"]


def _draw(member_id: str, salt: str) -> float:
    """A number in [0, 1) fixed for this member and purpose."""
    digest = hashlib.sha256(f"{salt}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def demo_membership(member_id: str, graduation_year: int, program: str, today: date) -> dict[str, Any] | None:
    """What this member does in the demo: nothing, or a plan and the days their payments were
    received (oldest first)."""
    # Recent classes and the Grande École join more; the Executive MBA less.
    rate = 0.10 + 0.05 * max(0, graduation_year - 2016) + (0.12 if program == "Grande École" else 0.0) \
        - (0.08 if program == "Executive MBA" else 0.0)
    if _draw(member_id, "joins") >= rate:
        return None
    kind = _draw(member_id, "kind")
    if kind < 0.12:
        return {"plan": "À vie", "amount": 90000, "paid": [today - timedelta(days=int(30 + 300 * kind / 0.12))]}
    plan, amount = ("Bienfaiteur", 15000) if kind > 0.9 else ("Standard", 6000)
    first = today - timedelta(days=int(20 + 430 * _draw(member_id, "first")))
    paid = [first]
    age = (today - first).days
    # Paid about a year ago: the period is ending or in grace now, and most renew today; paid
    # longer ago: the grace is over (lapsed), and a few come back today (reactivations).
    renews = 330 <= age <= 390 and _draw(member_id, "renews") < 0.6
    returns = age > 395 and _draw(member_id, "returns") < 0.25
    if renews or returns:
        paid.append(today)
    return {"plan": plan, "amount": amount, "paid": paid}


async def _members(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"after": after} if after else {})}
        r = await client.get("/api/v1/members", params=params)
        if r.status_code != 200:
            print(f"seed dues KPIs: listing members: {describe(r)}", file=sys.stderr)
            return out
        page = r.json()
        out += page.get("items", [])
        after = page.get("next_cursor")
        if not after:
            return out


async def seed_dues_kpi_demo(client: httpx.AsyncClient, today: date | None = None,
                             new_graduates: int = NEW_GRADUATES) -> int:
    """Returns the number of memberships seeded (or found seeded by an earlier run).
    `new_graduates` recent graduates are registered besides the seeded register (none for a
    small demo: `--demo-members N` means N members, plus the dues demo's four)."""
    today = today or date.today()
    r = await client.get("/api/v1/membership-plans")
    if r.status_code != 200:
        print(f"seed dues KPIs: plans: {describe(r)}", file=sys.stderr)
        return 0
    plans = {p["name"]: p["plan_id"] for p in r.json().get("items", [])}
    seeded = await _new_graduates(client, plans, today, new_graduates)
    for m in await _members(client):
        if seeded >= MAX_MEMBERSHIPS:
            break
        cohort = m.get("cohort") or {}
        todo = demo_membership(m["member_id"], int(cohort.get("graduation_year") or 0), cohort.get("program", ""),
                               today)
        if todo is None or todo["plan"] not in plans:
            continue
        if await _seed_membership(client, m["member_id"], plans[todo["plan"]], todo):
            seeded += 1
    return seeded


async def _seed_membership(client: httpx.AsyncClient, member_id: str, plan_id: str, todo: dict[str, Any]) -> bool:
    key = f"demo-kpi-{member_id}"
    current = await client.get(f"/api/v1/members/{member_id}/membership")
    if current.status_code == 200 and not any((p.get("reference") or "").startswith("KPI-")
                                              for p in current.json().get("payments", [])):
        return False  # on a plan through another demo scenario
    if not todo["paid"]:  # a free first year: joining is all
        r = await client.post(f"/api/v1/members/{member_id}/membership", json={"plan_id": plan_id},
                              headers={"Idempotency-Key": f"{key}-join-1"})
        if r.status_code not in (200, 201):
            print(f"seed dues KPIs {member_id}: join: {describe(r)}", file=sys.stderr)
        return r.status_code in (200, 201)
    for n, received in enumerate(todo["paid"], start=1):
        r = await client.post(f"/api/v1/members/{member_id}/membership", json={"plan_id": plan_id},
                              headers={"Idempotency-Key": f"{key}-join-{n}"})
        if r.status_code not in (200, 201):
            print(f"seed dues KPIs {member_id}: join: {describe(r)}", file=sys.stderr)
            return False
        membership_id = (r.json().get("membership") or {}).get("membership_id")
        if not membership_id:
            print(f"seed dues KPIs {member_id}: join: no membership in the reply", file=sys.stderr)
            return False
        r = await client.post("/api/v1/payments/manual", headers={"Idempotency-Key": f"{key}-pay-{n}"}, json={
            "purpose": "dues", "reference_id": membership_id, "member_id": member_id, "plan_id": plan_id,
            "amount_minor": todo["amount"], "currency": "EUR", "method": "cheque",
            "reference": f"KPI-{member_id[-8:]}-{n}", "received_on": received.isoformat()})
        if r.status_code not in (200, 201):
            print(f"seed dues KPIs {member_id}: payment: {describe(r)}", file=sys.stderr)
            return False
    return True


async def _new_graduates(client: httpx.AsyncClient, plans: dict[str, str], today: date, count: int) -> int:
    """Recent graduates: two in three join the young-graduate plan — this year's class gets its
    first year free; last year's paid in the spring, within 12 months of graduating."""
    joined = 0
    for i in range(count):
        year = today.year - i % 2
        first, program = GRAD_FIRST[i % len(GRAD_FIRST)], GRAD_PROGRAMS[i % len(GRAD_PROGRAMS)]
        r = await client.post("/api/v1/members", headers={"Idempotency-Key": f"demo-kpi-grad-{i}"}, json={
            "first_name": first, "last_name": "Diplômé", "email": f"{first.lower()}.grad{i}@example.org",
            "locale": "fr", "cohort": {"program": program, "graduation_year": year}})
        if r.status_code not in (200, 201):
            if r.status_code != 409:  # 409: registered by an earlier run whose keys expired
                print(f"seed dues KPIs graduate {i}: {describe(r)}", file=sys.stderr)
            continue
        member_id = r.json().get("member_id")
        if not member_id or i % 3 == 0 or "Jeune diplômé" not in plans:
            continue
        spring = min(today, date(today.year, 4, 15)).isoformat()
        todo = {"amount": 2000, "paid": [date.fromisoformat(spring)] if year < today.year else []}
        joined += await _seed_membership(client, member_id, plans["Jeune diplômé"], todo)
    return joined
