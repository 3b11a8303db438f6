"""Demo data: registers alumni across cohorts through the gateway, like a real client.

Idempotency keys derive from the row, so seeding twice (a second `make run`) changes nothing.
"""

from __future__ import annotations

import asyncio
import random
import sys
import unicodedata

import httpx

FIRST = ["Béatrice", "Camille", "Hélène", "Zoé", "Amélie", "Léa", "Chloé", "Inès", "Jérôme", "François",
         "Noël", "Gaëtan", "Thibault", "Mathis", "Lucas", "Hugo", "Aïcha", "Mehdi", "Yann", "Sophie"]
LAST = ["Dupont", "Lefèvre", "Müller", "Martin", "Bernard", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
        "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard"]
PROGRAMS = ["Grande École", "MSc Finance", "MSc Data Science", "Executive MBA", "Bachelor BBA"]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "-")


def demo_members(count: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append({
            "first_name": first, "last_name": last,
            "email": f"{_ascii(first)}.{_ascii(last)}.{i}@example.org",
            "locale": "fr" if rng.random() < 0.7 else "en",
            "cohort": {"program": PROGRAMS[i % len(PROGRAMS)], "graduation_year": 1995 + (i // len(PROGRAMS)) % 8},
        })
    return rows


async def seed(gateway_url: str, token: str, count: int, concurrency: int = 8) -> tuple[int, int]:
    """Returns (registered or already present, failed)."""
    created = failed = 0
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def one(i: int, row: dict[str, object]) -> None:
            nonlocal created, failed
            async with semaphore:
                r = await client.post("/api/v1/members", json=row, headers={"Idempotency-Key": f"demo-seed-{i}"})
                if r.status_code in (201, 409):
                    created += 1
                else:
                    failed += 1
                    print(f"seed row {i}: {r.status_code} {r.text}", file=sys.stderr)

        await asyncio.gather(*(one(i, row) for i, row in enumerate(demo_members(count))))
    return created, failed
