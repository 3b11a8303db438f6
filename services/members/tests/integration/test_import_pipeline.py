"""CSV import end to end inside the members service, against real MongoDB and the real NATS
object store: preview, review, commit, idempotence, crash and resume."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from nats.js import JetStreamContext

from members_service.adapters.mongo_imports import IMPORT_ROWS
from members_service.adapters.mongo_indexes import INDEXES
from members_service.adapters.mongo_members import MEMBERS
from members_service.adapters.mongo_reader import MongoMemberReader
from members_service.adapters.nats_file_store import NatsFileStore
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.domain.import_plan import Decision, ImportState, RowStatus
from members_service.domain.profile import Cohort, search_key
from members_service.service_layer import imports, profiles
from members_service.service_layer.commands import Actor
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.profiles import RegisterMember
from servicekit import context
from servicekit.csv_cells import csv_text
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration
STAFF = Actor("office", None, staff=True)
CSV = ("Prénom;Nom;Courriel;Programme;Promotion;Ville;Entreprise\r\n"
       "Béatrice;Dupont;beatrice@example.org;MSc Finance;2012;Lyon;Airbus\r\n"
       "Jean-Pierre;Lefèvre;jp@example.org;MSc Finance;2012;Paris;\r\n"
       "Zoé;Martin;zoe.new@example.org;Grande École;2019;;\r\n"  # namesake of a registered member
       "Luc;Sans-Mail;;MSc Finance;2012;;\r\n"  # no email: imported, not contactable
       "Béatrice;Dupont;beatrice.bis@example.org;MSc Finance;2012;;\r\n")  # same name+cohort as line 2


async def always() -> bool:
    return True


@pytest.fixture
async def env(mongo_client: Any, db: Any, db_name: str, js: JetStreamContext,
              topology: TopologySettings) -> dict[str, Any]:
    await ensure_indexes(db, [*INDEXES, *outbox_indexes(7)])

    def uow() -> MongoMembersUnitOfWork:
        return MongoMembersUnitOfWork(mongo_client, db_name, to_contract)

    return {"uow": uow, "reader": MongoMemberReader(db), "files": NatsFileStore(js),
            "db": db}


async def upload(env: dict[str, Any], data: bytes, job_id: str) -> imports.Preview:
    await env["files"].put(f"demo.{job_id}", data)
    return await imports.upload_import(imports.UploadImport("demo", STAFF, job_id, "alumni.csv", f"demo.{job_id}",
                                                            len(data), None, None), env["uow"](), env["files"])


async def run(env: dict[str, Any], job_id: str, still_mine: Callable[[], Any] = always) -> None:
    await imports.run_import_job("demo", job_id, env["uow"], env["reader"], env["files"], still_mine)


async def job(env: dict[str, Any], job_id: str) -> Any:
    uow = env["uow"]()
    async with uow:
        return await uow.import_jobs.get("demo", job_id)


async def test_preview_review_commit_and_a_second_import_changes_nothing(env: dict[str, Any]) -> None:
    await profiles.register_member(RegisterMember("demo", "Zoé", "Martin", "zoe@example.org", "fr",
                                                  Cohort("Grande École", 2019)), env["uow"]())
    preview = await upload(env, CSV.encode("cp1252"), "job-1")
    assert (preview.job.encoding, preview.job.delimiter, preview.job.total) == ("windows-1252", ";", 5)
    assert preview.sample[0] == (2, ["Béatrice", "Dupont", "beatrice@example.org", "MSc Finance", "2012", "Lyon",
                                     "Airbus"])
    await imports.validate_import(imports.ValidateImport("demo", "job-1", STAFF, None), env["uow"]())
    await run(env, "job-1")
    validated = await job(env, "job-1")
    assert validated.state is ImportState.VALIDATED
    assert validated.counts == {"new": 3, "review": 2}
    assert await env["db"][MEMBERS].count_documents({}) == 1, "the preview writes nothing"

    uow = env["uow"]()
    async with uow:
        assert await uow.import_rows.page("demo", "job-1", RowStatus.ERROR, 0, 10) == []
        reviews = await uow.import_rows.page("demo", "job-1", RowStatus.REVIEW, 0, 10)
    assert [(r.line, r.match_member_id is not None) for r in reviews] == [(4, True), (6, False)]
    assert reviews[0].reason == ("same name and cohort as Zoé Martin, Grande École 2019 (zoe@example.org; "
                                 f"member {reviews[0].match_member_id})"), "the manager sees whom it matches"
    with pytest.raises(imports.InvalidImportState, match="2 row"):
        await imports.commit_import(imports.CommitImport("demo", "job-1", STAFF, False), env["uow"]())
    await imports.decide(imports.DecideImportRow("demo", "job-1", STAFF, 4, Decision.MERGE), env["uow"]())
    await imports.decide(imports.DecideImportRow("demo", "job-1", STAFF, 6, Decision.SKIP), env["uow"]())
    # Committed by a request; the members are written later by the worker, outside any message.
    with context.handling(context.MessageContext(correlation_id="corr-commit", causation_id="request-commit")):
        await imports.commit_import(imports.CommitImport("demo", "job-1", STAFF, False), env["uow"]())
    await run(env, "job-1")
    done = await job(env, "job-1")
    assert done.state is ImportState.COMPLETED
    assert {k: v for k, v in done.counts.items() if k.startswith("outcome_")} == {
        "outcome_created": 3, "outcome_updated": 1, "outcome_skipped": 1}
    assert await env["db"][MEMBERS].count_documents({}) == 4
    luc = await env["db"][MEMBERS].find_one({"last_name": "Sans-Mail"})
    assert luc["emails"] == [] and luc["email"].startswith("no-email:"), "a key no address can take"
    zoe = await env["db"][MEMBERS].find_one({"email": "zoe@example.org"})
    assert [e["address"] for e in zoe["emails"]] == ["zoe@example.org", "zoe.new@example.org"], "merged"
    assert await env["db"][IMPORT_ROWS].count_documents({}) == 0, "copied personal data is deleted"
    assert await env["files"].get("demo.job-1") is None, "and so is the file"
    registered = await env["db"][OUTBOX].find({"type": {"$regex": "member_registered.v2"}}).to_list()
    assert len(registered) == 4 and sum('"origin":"import"' in r["payload"] for r in registered) == 3
    imported = [json.loads(r["payload"]) for r in registered if '"origin":"import"' in r["payload"]]
    assert {(e["causationid"], e["correlationid"]) for e in imported} == {("request-commit", "corr-commit")}, \
        "the worker's events name the commit request as their cause"
    assert await env["db"][OUTBOX].count_documents({"type": {"$regex": "member_registered.v1"}}) == 3, \
        "v1 cannot carry a member without an email"

    # The same file again: nothing new to write, no event.
    events_before = await env["db"][OUTBOX].count_documents({})
    await upload(env, CSV.encode("cp1252"), "job-2")
    await imports.validate_import(imports.ValidateImport("demo", "job-2", STAFF, None), env["uow"]())
    await run(env, "job-2")
    again = await job(env, "job-2")
    assert again.counts == {"unchanged": 4, "review": 1}, \
        "the skipped namesake is asked about again; Luc (no email, no birth date) is the same row again: unchanged"
    await imports.commit_import(imports.CommitImport("demo", "job-2", STAFF, True), env["uow"]())
    await run(env, "job-2")
    assert await env["db"][MEMBERS].count_documents({}) == 4
    assert await env["db"][OUTBOX].count_documents({}) == events_before


async def test_a_worker_that_loses_its_job_midway_is_resumed_without_duplicates(env: dict[str, Any]) -> None:
    lines = ["first_name,last_name,email,program,graduation_year"]
    lines += [f"Ana{i},Resume,ana{i}@example.org,MSc,2010" for i in range(2600)]
    await upload(env, ("\n".join(lines) + "\n").encode(), "job-big")
    await imports.validate_import(imports.ValidateImport("demo", "job-big", STAFF, None), env["uow"]())
    rounds = {"n": 0}

    async def lost_after_first_chunk() -> bool:
        rounds["n"] += 1
        return rounds["n"] < 2

    await run(env, "job-big", lost_after_first_chunk)  # "crash" after two validation chunks
    partial = await job(env, "job-big")
    assert partial.state is ImportState.VALIDATING and 0 < partial.done < 2600
    await run(env, "job-big")
    assert (await job(env, "job-big")).counts == {"new": 2600}
    await imports.commit_import(imports.CommitImport("demo", "job-big", STAFF, False), env["uow"]())
    rounds["n"] = 0
    await run(env, "job-big", lost_after_first_chunk)
    midway = await job(env, "job-big")
    assert midway.state is ImportState.COMMITTING and 0 < midway.done < 2600
    assert await env["db"][MEMBERS].count_documents({}) == midway.done
    await run(env, "job-big")
    assert (await job(env, "job-big")).state is ImportState.COMPLETED
    assert await env["db"][MEMBERS].count_documents({}) == 2600
    registered = await env["db"][OUTBOX].count_documents({"type": {"$regex": "member_registered.v2"}})
    assert registered == 2600, "one member_registered each, no more"


async def test_an_email_registered_after_the_preview_fails_that_row_only(env: dict[str, Any]) -> None:
    data = (b"first_name,last_name,email,program,graduation_year\n"
            b"Ana,Late,ana.late@example.org,MSc,2010\nBob,Late,bob.late@example.org,MSc,2010\n")
    await upload(env, data, "job-race")
    await imports.validate_import(imports.ValidateImport("demo", "job-race", STAFF, None), env["uow"]())
    await run(env, "job-race")
    await profiles.register_member(RegisterMember("demo", "Bob", "Faster", "bob.late@example.org", "fr",
                                                  Cohort("MSc", 2010)), env["uow"]())
    await imports.commit_import(imports.CommitImport("demo", "job-race", STAFF, False), env["uow"]())
    await run(env, "job-race")
    done = await job(env, "job-race")
    assert done.state is ImportState.COMPLETED
    assert {k: v for k, v in done.counts.items() if k.startswith("outcome_")} == {"outcome_created": 1,
                                                                                 "outcome_failed": 1}
    assert done.failures == ["line 3: email: registered since the preview"]
    assert await env["db"][MEMBERS].count_documents({}) == 2
    uow = env["uow"]()
    async with uow:
        [kept] = await uow.import_rows.page("demo", "job-race", None, 0, 10)
    assert (kept.line, kept.status, kept.cells[2]) == (3, RowStatus.ERROR, "bob.late@example.org"), \
        "the failed row stays, as a rejected row, for the rejected-rows file"


# -- issue 8: the same register as French Excel writes it, in two encodings ---------------------

REGISTER_HEADER = ["Nom", "Prénom", "Courriel", "Programme", "Promotion", "Ville", "Téléphone", "Date de naissance"]
FIRST = ["Béatrice", "Hélène", "François", "Zoé", "Jérôme", "Noël", "Anaïs", "Cécile", "Gaëlle", "Loïc", "Maëlle",
         "Théo", "Chloé", "Agnès", "Benoît", "Céline", "Rémi", "Léa", "Mathéo", "Inès"]
LAST = ["Dupont", "Lefèvre", "Côté", "Mañas", "Bréhier", "Cœurderoy", "Müller", "D'Aubigné", "Le Goff", "Hénaff"]
COHORT_FORMS = ["Promo 2012", "P2012", "2011-2012", "2011/12", "Class of 2012", "2012", "Promotion 2012",
                "promo  2008", "Année 1995"]
PROGRAMS = ["Grande École", "MSc Finance", "Mastère Spécialisé"]


def register_rows() -> tuple[list[list[str]], int]:
    """A few dozen people as an office's export holds them, and how many are valid."""
    out: list[list[str]] = []
    for i in range(36):
        first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)] + ("" if i < len(LAST) else f"-{i}")
        email = "" if i % 6 == 5 else f"{search_key(first)}.{i}@example.org".replace(" ", "")
        born = f"{(i % 27) + 1:02d}/0{(i % 9) + 1}/19{40 + i}" if email == "" and i % 12 == 5 else ""
        phone = f"+33 6 12 34 56 {i:02d}" if i % 4 == 0 else ""
        city = "=HYPERLINK(\"http://evil.example\")" if i == 7 else ["Paris", "Lyon", "Besançon", "Orléans"][i % 4]
        out.append([last, first, email, PROGRAMS[i % 3], COHORT_FORMS[i % len(COHORT_FORMS)], city, phone, born])
    out.append(["Formule", "Olivier", "olivier.formule@example.org", "=1+2", "2011", "Nantes", "", ""])
    out.append(["", "Cassé", "pas-un-email", "MSc Finance", "Promo", "Lille", "", ""])  # really broken
    return out, 36


def excel_csv(rows: list[list[str]], encoding: str, delimiter: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([REGISTER_HEADER, *rows])
    return buffer.getvalue().encode(encoding)


async def import_file(env: dict[str, Any], data: bytes, job_id: str, skip_reviews: bool = False) -> Any:
    await upload(env, data, job_id)
    await imports.validate_import(imports.ValidateImport("demo", job_id, STAFF, None), env["uow"]())
    await run(env, job_id)
    validated = await job(env, job_id)
    await imports.commit_import(imports.CommitImport("demo", job_id, STAFF, skip_reviews), env["uow"]())
    await run(env, job_id)
    return validated, await job(env, job_id)


async def test_an_excel_register_in_windows_1252_then_utf8_bom_then_its_rejected_rows_fixed(
        env: dict[str, Any]) -> None:
    rows, valid = register_rows()
    cp1252 = excel_csv(rows, "cp1252", ";")
    preview = await upload(env, cp1252, "probe")
    assert (preview.job.encoding, preview.job.delimiter) == ("windows-1252", ";")
    assert preview.understood[2].values["graduation_year"] == 2012, "'2011-2012' shown as understood: 2012"

    validated, done = await import_file(env, cp1252, "excel-1252")
    assert validated.counts == {"new": valid, "error": 2, "warned": 1}, validated.counts
    assert validated.failures[0].startswith("line 38: program: starts with '='"), validated.failures
    assert done.counts["outcome_created"] == valid and done.counts["outcome_rejected"] == 2
    assert done.rejected == 2 and len(done.failures) == 2, "the report survives the commit"
    assert await env["db"][MEMBERS].count_documents({}) == valid
    without_email = await env["db"][MEMBERS].count_documents({"emails": []})
    assert without_email == 6
    assert await env["db"]["groups"].count_documents({"name": {"$regex": "^="}}) == 0, "no '=1+2' cohort group"
    years = {d["education"][0]["graduation_year"] async for d in env["db"][MEMBERS].find({})}
    assert years == {2012, 2008, 1995}
    uow = env["uow"]()
    async with uow:
        kept = await uow.import_rows.page("demo", "excel-1252", None, 0, 100)
    assert [(r.line, r.status) for r in kept] == [(38, RowStatus.ERROR), (39, RowStatus.ERROR)], \
        "only the rejected rows are kept"
    assert kept[0].cells == rows[36], "as in the file, in its column order"

    # The same people exported as "CSV UTF-8": a BOM, commas. Nothing new.
    bom = b"\xef\xbb\xbf" + excel_csv(rows, "utf-8", ",")
    again, second = await import_file(env, bom, "excel-utf8", skip_reviews=True)
    assert again.encoding == "utf-8" and again.header[0] == "Nom"
    assert again.counts.get("new", 0) == 0 and again.counts["error"] == 2, again.counts
    assert again.counts["unchanged"] + again.counts.get("review", 0) == valid
    assert again.counts.get("review", 0) == 0, "no email, no birth date, but every value as stored: unchanged"
    assert second.counts.get("outcome_created", 0) == 0
    assert await env["db"][MEMBERS].count_documents({}) == valid

    # The rejected rows as the gateway writes them (BOM, `;`, cells neutralised), fixed, imported again.
    rejected = csv_text([[*REGISTER_HEADER, "Erreur · Error"], *[[*r.cells, "; ".join(r.errors)] for r in kept]])
    assert "'=1+2" in rejected
    unfixed, _ = await import_file(env, rejected.encode("utf-8"), "rejected-unfixed")
    assert unfixed.counts == {"error": 2}, "a neutralised formula reads back as the formula it was"
    fixed_rows = [[*r.cells, "; ".join(r.errors)] for r in kept]
    fixed_rows[0][3] = "MSc Finance"
    fixed_rows[1][0], fixed_rows[1][2], fixed_rows[1][4] = "Cassé", "", "P2013"
    fixed = csv_text([[*REGISTER_HEADER, "Erreur · Error"], *fixed_rows])
    redone, after = await import_file(env, fixed.encode("utf-8"), "rejected-fixed")
    assert redone.counts == {"new": 2}, redone.counts
    assert after.counts["outcome_created"] == 2 and after.rejected == 0
    assert await env["db"][MEMBERS].count_documents({}) == valid + 2


async def test_reports_expire_with_their_job(env: dict[str, Any]) -> None:
    data = b"first_name,last_name,email,program,graduation_year\nAna,Old,ana.old@example.org,MSc,20x0\n"
    await import_file(env, data, "job-old")
    assert await env["db"][IMPORT_ROWS].count_documents({"job_id": "job-old"}) == 1
    later = (await job(env, "job-old")).report_expires_at + timedelta(seconds=1)
    assert await imports.expire_import_reports(env["uow"], env["files"], clock=lambda: later - timedelta(days=1)) == 0
    assert await imports.expire_import_reports(env["uow"], env["files"], clock=lambda: later) == 1
    assert await job(env, "job-old") is None
    assert await env["db"][IMPORT_ROWS].count_documents({"job_id": "job-old"}) == 0


async def test_erasing_a_member_without_email_drops_the_import_rows_about_them(env: dict[str, Any]) -> None:
    data = "Nom;Prénom;Programme;Promotion;Né le\r\nAncien;Jean;MSc;Promo 1968;14/03/1946\r\n".encode("cp1252")
    await import_file(env, data, "job-first")
    await upload(env, data, "job-pending")  # a second import, validated, not committed: it holds a copy
    await imports.validate_import(imports.ValidateImport("demo", "job-pending", STAFF, None), env["uow"]())
    await run(env, "job-pending")
    assert (await job(env, "job-pending")).counts == {"unchanged": 1}, "same name, cohort and birth date"
    assert await env["db"][IMPORT_ROWS].count_documents({"job_id": "job-pending"}) == 1
    [doc] = await env["db"][MEMBERS].find({}).to_list()
    uow = env["uow"]()
    async with uow:
        member = await uow.members.get("demo", doc["_id"])
        assert member is not None and member.emails == ()
        await uow.members.delete(member)
        await uow.import_rows.erase_member(member)  # each slice erases its own (`privacy.request_erasure`)
        await uow.commit()
    assert await env["db"][IMPORT_ROWS].count_documents({"job_id": "job-pending"}) == 0


async def test_a_reimport_never_overwrites_what_the_alumnus_edited_themselves(env: dict[str, Any]) -> None:
    from members_service.domain.model import ProfileChanges
    from members_service.service_layer.profiles import UpdateProfile

    data = ("Prénom;Nom;Courriel;Programme;Promotion;Ville;Téléphone\r\n"
            "Ana;Moved;ana.moved@example.org;MSc;2010;Paris;+33 1 00 00 00 01\r\n").encode()
    await import_file(env, data, "first")
    [doc] = await env["db"][MEMBERS].find({}).to_list()
    ana = Actor("dev-alumnus-ana", doc["_id"], staff=False)
    await profiles.update_profile(UpdateProfile("demo", doc["_id"], ana, doc["version"],
                                                ProfileChanges(city="Lyon", phone="+33 1 00 00 00 01")), env["uow"]())
    assert (await env["db"][MEMBERS].find_one({}))["self_edited"] == ["city"], "only what she changed is hers"

    # The office's older register again: no silent update over her edit, a review naming the field.
    await upload(env, data, "again")
    await imports.validate_import(imports.ValidateImport("demo", "again", STAFF, None), env["uow"]())
    await run(env, "again")
    assert (await job(env, "again")).counts == {"review": 1}
    uow = env["uow"]()
    async with uow:
        [row] = await uow.import_rows.page("demo", "again", RowStatus.REVIEW, 0, 10)
    assert row.match_member_id == doc["_id"]
    assert row.reason == ("Ana Moved edited their own city themselves: merge writes the file's values over "
                          "theirs, skip keeps theirs")
    await imports.commit_import(imports.CommitImport("demo", "again", STAFF, True), env["uow"]())  # undecided: skipped
    await run(env, "again")
    assert (await env["db"][MEMBERS].find_one({}))["city"] == "Lyon"

    # A row that changes something else is an update, leaving her city alone — even when she
    # edits that other field between the preview and the commit.
    newer = data.replace(b"+33 1 00 00 00 01", b"+33 1 00 00 00 02").replace(b"Paris", b"Lyon")
    await upload(env, newer, "phone")
    await imports.validate_import(imports.ValidateImport("demo", "phone", STAFF, None), env["uow"]())
    await run(env, "phone")
    assert (await job(env, "phone")).counts == {"update": 1}
    current = await env["db"][MEMBERS].find_one({})
    await profiles.update_profile(UpdateProfile("demo", doc["_id"], ana, current["version"],
                                                ProfileChanges(phone="+33 6 99 99 99 99")), env["uow"]())
    await imports.commit_import(imports.CommitImport("demo", "phone", STAFF, False), env["uow"]())
    await run(env, "phone")
    after = await env["db"][MEMBERS].find_one({})
    assert (after["city"], after["phone"]) == ("Lyon", "+33 6 99 99 99 99"), "her edits stay"
    assert (await job(env, "phone")).counts.get("outcome_unchanged") == 1

    # A manager's merge is a decision: the file's value is written, and the field is no longer hers.
    await upload(env, data, "merge")
    await imports.validate_import(imports.ValidateImport("demo", "merge", STAFF, None), env["uow"]())
    await run(env, "merge")
    await imports.decide(imports.DecideImportRow("demo", "merge", STAFF, 2, Decision.MERGE), env["uow"]())
    await imports.commit_import(imports.CommitImport("demo", "merge", STAFF, False), env["uow"]())
    await run(env, "merge")
    merged = await env["db"][MEMBERS].find_one({})
    assert (merged["city"], merged["phone"], merged["self_edited"]) == ("Paris", "+33 1 00 00 00 01", [])
