"""Benchmark: issuing the yearly tax receipts of N donors (default 20,000) — numbers and PDFs.

Each donor chose a yearly summary and gave twice during the year (their gifts are held as the
receipt engine holds them). `issue_yearly_receipts` then runs as a manager's request runs it:
per donor, one transaction takes the next number of the entity's year from the counter, writes
the receipt, its outbox record (`receipt_issued`) and releases the held gifts. Then every
receipt is rendered as the official French PDF (fpdf2, embedded Roboto subset), as a donor's
download or a mailing would. Baseline, same server: a raw `insert_many` of the same receipt
documents (no counter, no transaction, no event).

The PDFs are rendered in a pool of `--workers` processes (default 2, the cores of this machine);
the raw PDF baseline is fpdf2 alone writing the same text lines in a core font, same pool size.

Usage: python bench/receipts_yearly.py [--donors N] [--workers W] [--mongo-uri URI]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime

from benchservers import servers
from fpdf import FPDF
from pymongo.errors import BulkWriteError

from fundraising_service.adapters.mongo_receipts import (
    PENDING,
    RECEIPT_INDEXES,
    RECEIPTS,
    receipt_document,
    receipt_from,
)
from fundraising_service.adapters.mongo_repository import INDEXES, MEMBERS
from fundraising_service.adapters.receipt_pdf import render_receipt
from fundraising_service.adapters.unit_of_work import MongoFundraisingUnitOfWork
from fundraising_service.domain.receipts import LegalEntity, is_gapless
from fundraising_service.service_layer import receipts
from fundraising_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import create_client, ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes

DB = "bench_receipts_yearly"
T = "bench"
YEAR = 2026
ENTITY = LegalEntity(id="fondation", tenant=T, name="Fondation de l'École", address="1 rue de l'École\n75005 Paris",
                     object="Bourses et recherche", status="Fondation reconnue d'utilité publique",
                     may_issue_receipts=True, signatory_name="Claire Martin", signatory_title="Présidente",
                     default_for_gifts=True)


async def load(db: object, n: int) -> float:
    started = time.perf_counter()
    for start in range(0, n, 2000):
        ids = range(start, min(n, start + 2000))
        await db[MEMBERS].insert_many([  # type: ignore[index]
            {"_id": f"m{i:06d}", "tenant": T, "version": 1, "first_name": "Donatrice", "last_name": f"N°{i}"}
            for i in ids])
        await db[PENDING].insert_many([  # type: ignore[index]
            {"_id": f"{T}:donation:g{i:06d}-{k}", "tenant": T, "member_id": f"m{i:06d}", "legal_entity_id": "fondation",
             "year": YEAR, "currency": "EUR", "source_id": f"g{i:06d}-{k}",
             "received_on": date(YEAR, 3 * k, 5).isoformat(), "amount_minor": 5000 + k * 1234, "method": "sepa_debit"}
            for i in ids for k in (1, 2)])
    return time.perf_counter() - started


def render_chunk(docs: list[dict[str, object]]) -> int:
    """Render a chunk of receipts (in a worker process); the total size of the PDFs."""
    return sum(len(render_receipt(receipt_from(d), "fr")) for d in docs)


def raw_chunk(docs: list[dict[str, object]]) -> int:
    """Baseline: fpdf2 alone, one page per receipt with the same lines of text, core font."""
    size = 0
    for d in docs:
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=10)
        donor = d["donor"]
        entity = d["entity"]
        for text in (f"Reçu n° {d['number']}", str(entity["name"]), str(entity["address"]),  # type: ignore[index]
                     str(entity["object"]), str(entity["status"]), str(donor["name"]),  # type: ignore[index]
                     str(donor.get("address") or ""), f"{d['amount_minor']} EUR",  # type: ignore[attr-defined]
                     *(f"{ln['received_on']} {ln['amount_minor']} {ln['method']}" for ln in d["lines"])):  # type: ignore[attr-defined]
            pdf.multi_cell(0, 6, text.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
        size += len(bytes(pdf.output()))
    return size


def in_pool(pool: ProcessPoolExecutor, fn: object, docs: list[dict[str, object]], workers: int) -> tuple[float, int]:
    started = time.perf_counter()
    chunk = max(1, len(docs) // (workers * 8))
    size = sum(pool.map(fn, [docs[i:i + chunk] for i in range(0, len(docs), chunk)]))  # type: ignore[arg-type]
    return time.perf_counter() - started, size


async def run(uri: str, n: int, workers: int = 2) -> None:
    client = create_client(uri, "bench")
    db = client[DB]
    await client.drop_database(DB)
    await ensure_indexes(db, [*INDEXES, *RECEIPT_INDEXES, *outbox_indexes(7)])

    def uow() -> MongoFundraisingUnitOfWork:
        return MongoFundraisingUnitOfWork(client, DB, to_contract)

    await receipts.upsert_legal_entity(receipts.UpsertLegalEntity(ENTITY), uow())
    print(f"loaded {n} donors with 2 held gifts each in {await load(db, n):.1f}s", flush=True)

    started = time.perf_counter()
    issued, skipped = await receipts.issue_yearly_receipts(receipts.IssueYearlyReceipts(T, YEAR), uow,
                                                           clock=lambda: datetime(YEAR + 1, 1, 15, tzinfo=UTC))
    numbering = time.perf_counter() - started
    assert (issued, skipped) == (n, 0), (issued, skipped)
    docs = [d async for d in db[RECEIPTS].find({"tenant": T})]
    assert is_gapless([d["sequence"] for d in docs]) and len(docs) == n
    assert await db[OUTBOX].count_documents({"tenant": T}) == n
    print(f"numbers: {n} receipts (counter + receipt + outbox + release; {receipts.YEARLY_BATCH} donors per "
          f"transaction) in {numbering:.1f}s = {n / numbering:,.0f}/s", flush=True)

    with ProcessPoolExecutor(workers) as pool:
        rendering, size = in_pool(pool, render_chunk, docs, workers)
        print(f"PDFs: {n} rendered in {rendering:.1f}s = {n / rendering:,.0f}/s ({workers} processes), "
              f"{size / n / 1024:.0f} KiB each", flush=True)
        raw_pdf, _ = in_pool(pool, raw_chunk, docs, workers)
    print(f"raw fpdf2 (same text, core font, {workers} processes): {n / raw_pdf:,.0f}/s", flush=True)

    # Baseline: the same documents, raw insert_many into a fresh collection.
    raw_docs = [receipt_document(receipt_from(d)) for d in docs]
    started = time.perf_counter()
    for start in range(0, n, 2000):
        try:
            await db["raw_receipts"].insert_many(raw_docs[start:start + 2000], ordered=False)
        except BulkWriteError as exc:  # a batch retried by the driver under load: its first attempt was applied
            if any(e["code"] != 11000 for e in exc.details["writeErrors"]):
                raise
    raw = time.perf_counter() - started
    assert await db["raw_receipts"].count_documents({}) == n

    whole = numbering + rendering
    print(f"whole: {n / whole:,.1f} receipts/s; PDF rendering is {rendering / whole:.0%} of the time")
    print(f"raw insert_many of the same documents: {n / raw:,.0f}/s; ratio numbers/raw {raw / numbering:.3f}x, "
          f"PDFs/raw fpdf2 {raw_pdf / rendering:.3f}x, whole/(raw inserts + raw fpdf2) "
          f"{(raw + raw_pdf) / whole:.3f}x")
    await client.drop_database(DB)
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--donors", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="processes rendering the PDFs")
    parser.add_argument("--mongo-uri")
    args = parser.parse_args()
    with servers(args.mongo_uri, None, with_nats=False) as (uri, _):
        asyncio.run(run(uri, args.donors, args.workers))


if __name__ == "__main__":
    main()
