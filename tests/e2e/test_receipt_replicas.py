"""End to end: two replicas of the fundraising service (the platform's and a second process on
the same NATS durables and database) handle 50 concurrent gifts to one legal entity: the
receipts are numbered 1..50 of the entity's year, strictly sequential, no gap, no duplicate,
and each gift has exactly one."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import httpx
import pytest

from alumni_local.runner import Platform

from .test_platform import member, wait_until

pytestmark = pytest.mark.e2e
ENTITY = {"legal_entity_id": "fondation-replicas", "name": "Fondation (deux répliques)",
          "address": "1 rue de l'École, Paris", "object": "Bourses", "status": "FRUP", "may_issue_receipts": True,
          "signatory_name": "Claire Martin", "signatory_title": "Présidente", "campaign_ids": ["receipts-replicas"]}
GIFTS = 50


def test_fifty_concurrent_gifts_on_two_replicas_are_numbered_without_gap(platform: Platform) -> None:
    gw = platform.gateway_url
    staff = {"Authorization": f"Bearer {platform.issue_token('manager')}"}
    assert httpx.put(f"{gw}/api/v1/legal-entities/fondation-replicas", json=ENTITY, headers=staff,
                     timeout=30).status_code == 200
    donors = [httpx.post(f"{gw}/api/v1/members", json=member(f"replica{i}"), headers=staff, timeout=30)
              .json()["member_id"] for i in range(5)]
    probe = {"member_id": donors[-1], "amount": {"minor_units": 100, "currency": "USD"}, "campaign_id": "x"}
    wait_until(lambda: httpx.post(f"{gw}/api/v1/donations", json=probe, headers=staff).status_code == 201, 30,
               "fundraising to know the donors")  # a USD gift: recorded, never receipted

    env = {**platform.env_for("fundraising"), "FUNDRAISING_HTTP_PORT": "0"}
    second = subprocess.Popen([sys.executable, "-m", "fundraising_service"], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(3)  # attached to the durables
        assert second.poll() is None, "the second replica did not start"

        async def give_all() -> list[int]:
            async with httpx.AsyncClient(base_url=gw, headers=staff, timeout=60) as client:
                async def give(i: int) -> int:
                    for _ in range(10):  # a loaded machine times out (504) or is still at it (409): retry,
                        r = await client.post(  # the Idempotency-Key makes it the same gift
                            "/api/v1/donations", headers={"Idempotency-Key": f"replica-gift-{i}"},
                            json={"member_id": donors[i % len(donors)], "campaign_id": "receipts-replicas",
                                  "amount": {"minor_units": 1000 + i, "currency": "EUR"}})
                        if r.status_code not in (409, 504):
                            break
                        await asyncio.sleep(1)
                    return r.status_code
                return list(await asyncio.gather(*(give(i) for i in range(GIFTS))))

        assert asyncio.run(give_all()) == [201] * GIFTS

        def numbers() -> list[dict[str, object]]:
            found: list[dict[str, object]] = []
            for donor in donors:
                r = httpx.get(f"{gw}/api/v1/receipts?member_id={donor}", headers=staff, timeout=30)
                found += [x for x in r.json()["items"] if x["legal_entity_id"] == "fondation-replicas"]
            return found

        wait_until(lambda: len(numbers()) >= GIFTS, 180, "50 receipts")
        time.sleep(2)
        receipts = numbers()
        year = receipts[0]["year"]
        assert sorted(str(r["number"]) for r in receipts) == [f"{year}-{i:06d}" for i in range(1, GIFTS + 1)]
        assert sorted(int(str(r["amount_minor"])) for r in receipts) == [1000 + i for i in range(GIFTS)]
        register = httpx.get(f"{gw}/api/v1/legal-entities/fondation-replicas/receipt-register?year={year}",
                             headers=staff, timeout=30)
        assert register.headers["x-register-gapless"] == "true" and register.headers["x-register-count"] == "50"
    finally:
        second.kill()
        second.wait()
