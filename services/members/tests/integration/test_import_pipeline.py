"""CSV import end to end inside the members service, against real MongoDB and the real NATS
object store: preview, review, commit, idempotence, crash and resume."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from nats.js import JetStreamContext

from members_service.adapters.import_store import IMPORT_ROWS, NatsFileStore
from members_service.adapters.import_store import INDEXES as IMPORT_INDEXES
from members_service.adapters.mongo_repository import INDEXES, MEMBERS, MongoMemberRepository
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.domain.import_plan import Decision, ImportState, RowStatus
from members_service.domain.profile import Cohort
from members_service.service_layer import handlers, imports
from members_service.service_layer.commands import Actor, RegisterMember
from members_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes
from servicekit.outbox import OUTBOX, outbox_indexes
from servicekit.topology import TopologySettings

pytestmark = pytest.mark.integration
STAFF = Actor("office", None, staff=True)
CSV = ("Prénom;Nom;Courriel;Programme;Promotion;Ville;Entreprise\r\n"
       "Béatrice;Dupont;beatrice@example.org;MSc Finance;2012;Lyon;Airbus\r\n"
       "Jean-Pierre;Lefèvre;jp@example.org;MSc Finance;2012;Paris;\r\n"
       "Zoé;Martin;zoe.new@example.org;Grande École;2019;;\r\n"  # namesake of a registered member
       "Luc;Sans-Mail;;MSc Finance;2012;;\r\n"  # error: no email
       "Béatrice;Dupont;beatrice.bis@example.org;MSc Finance;2012;;\r\n")  # same name+cohort as line 2


async def always() -> bool:
    return True


@pytest.fixture
async def env(mongo_client: Any, db: Any, db_name: str, js: JetStreamContext,
              topology: TopologySettings) -> dict[str, Any]:
    await ensure_indexes(db, [*INDEXES, *IMPORT_INDEXES, *outbox_indexes(7)])

    def uow() -> MongoMembersUnitOfWork:
        return MongoMembersUnitOfWork(mongo_client, db_name, to_contract)

    return {"uow": uow, "reader": MongoMemberRepository(db, None, lambda _m: None), "files": NatsFileStore(js),
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
    await handlers.register_member(RegisterMember("demo", "Zoé", "Martin", "zoe@example.org", "fr",
                                                  Cohort("Grande École", 2019)), env["uow"]())
    preview = await upload(env, CSV.encode("cp1252"), "job-1")
    assert (preview.job.encoding, preview.job.delimiter, preview.job.total) == ("windows-1252", ";", 5)
    assert preview.sample[0] == (2, ["Béatrice", "Dupont", "beatrice@example.org", "MSc Finance", "2012", "Lyon",
                                     "Airbus"])
    await imports.validate_import("demo", "job-1", None, STAFF, env["uow"]())
    await run(env, "job-1")
    validated = await job(env, "job-1")
    assert validated.state is ImportState.VALIDATED
    assert validated.counts == {"new": 2, "review": 2, "error": 1}
    assert await env["db"][MEMBERS].count_documents({}) == 1, "the preview writes nothing"

    uow = env["uow"]()
    async with uow:
        [error] = await uow.import_rows.page("job-1", RowStatus.ERROR, 0, 10)
        reviews = await uow.import_rows.page("job-1", RowStatus.REVIEW, 0, 10)
    assert error.line == 5 and error.errors == ["email: required ('Courriel' is empty)"]
    assert [(r.line, r.match_member_id is not None) for r in reviews] == [(4, True), (6, False)]
    with pytest.raises(imports.InvalidImportState, match="2 row"):
        await imports.commit_import("demo", "job-1", False, STAFF, env["uow"]())
    await imports.decide("demo", "job-1", 4, Decision.MERGE, STAFF, env["uow"]())
    await imports.decide("demo", "job-1", 6, Decision.SKIP, STAFF, env["uow"]())
    await imports.commit_import("demo", "job-1", False, STAFF, env["uow"]())
    await run(env, "job-1")
    done = await job(env, "job-1")
    assert done.state is ImportState.COMPLETED
    assert {k: v for k, v in done.counts.items() if k.startswith("outcome_")} == {
        "outcome_created": 2, "outcome_updated": 1, "outcome_skipped": 1, "outcome_rejected": 1}
    assert await env["db"][MEMBERS].count_documents({}) == 3
    zoe = await env["db"][MEMBERS].find_one({"email": "zoe@example.org"})
    assert [e["address"] for e in zoe["emails"]] == ["zoe@example.org", "zoe.new@example.org"], "merged"
    assert await env["db"][IMPORT_ROWS].count_documents({}) == 0, "copied personal data is deleted"
    assert await env["files"].get("demo.job-1") is None, "and so is the file"
    registered = await env["db"][OUTBOX].find({"type": {"$regex": "member_registered"}}).to_list()
    assert len(registered) == 3 and sum('"origin":"import"' in r["payload"] for r in registered) == 2

    # The same file again: nothing new to write, no event.
    events_before = await env["db"][OUTBOX].count_documents({})
    await upload(env, CSV.encode("cp1252"), "job-2")
    await imports.validate_import("demo", "job-2", None, STAFF, env["uow"]())
    await run(env, "job-2")
    again = await job(env, "job-2")
    assert again.counts == {"unchanged": 3, "review": 1, "error": 1}, "the skipped namesake is asked about again"
    await imports.commit_import("demo", "job-2", True, STAFF, env["uow"]())
    await run(env, "job-2")
    assert await env["db"][MEMBERS].count_documents({}) == 3
    assert await env["db"][OUTBOX].count_documents({}) == events_before


async def test_a_worker_that_loses_its_job_midway_is_resumed_without_duplicates(env: dict[str, Any]) -> None:
    lines = ["first_name,last_name,email,program,graduation_year"]
    lines += [f"Ana{i},Resume,ana{i}@example.org,MSc,2010" for i in range(2600)]
    await upload(env, ("\n".join(lines) + "\n").encode(), "job-big")
    await imports.validate_import("demo", "job-big", None, STAFF, env["uow"]())
    rounds = {"n": 0}

    async def lost_after_first_chunk() -> bool:
        rounds["n"] += 1
        return rounds["n"] < 2

    await run(env, "job-big", lost_after_first_chunk)  # "crash" after two validation chunks
    partial = await job(env, "job-big")
    assert partial.state is ImportState.VALIDATING and 0 < partial.done < 2600
    await run(env, "job-big")
    assert (await job(env, "job-big")).counts == {"new": 2600}
    await imports.commit_import("demo", "job-big", False, STAFF, env["uow"]())
    rounds["n"] = 0
    await run(env, "job-big", lost_after_first_chunk)
    midway = await job(env, "job-big")
    assert midway.state is ImportState.COMMITTING and 0 < midway.done < 2600
    assert await env["db"][MEMBERS].count_documents({}) == midway.done
    await run(env, "job-big")
    assert (await job(env, "job-big")).state is ImportState.COMPLETED
    assert await env["db"][MEMBERS].count_documents({}) == 2600
    registered = await env["db"][OUTBOX].count_documents({"type": {"$regex": "member_registered"}})
    assert registered == 2600, "one member_registered each, no more"


async def test_an_email_registered_after_the_preview_fails_that_row_only(env: dict[str, Any]) -> None:
    data = (b"first_name,last_name,email,program,graduation_year\n"
            b"Ana,Late,ana.late@example.org,MSc,2010\nBob,Late,bob.late@example.org,MSc,2010\n")
    await upload(env, data, "job-race")
    await imports.validate_import("demo", "job-race", None, STAFF, env["uow"]())
    await run(env, "job-race")
    await handlers.register_member(RegisterMember("demo", "Bob", "Faster", "bob.late@example.org", "fr",
                                                  Cohort("MSc", 2010)), env["uow"]())
    await imports.commit_import("demo", "job-race", False, STAFF, env["uow"]())
    await run(env, "job-race")
    done = await job(env, "job-race")
    assert done.state is ImportState.COMPLETED
    assert {k: v for k, v in done.counts.items() if k.startswith("outcome_")} == {"outcome_created": 1,
                                                                                 "outcome_failed": 1}
    assert done.failures == ["line 3: email: registered since the preview"]
    assert await env["db"][MEMBERS].count_documents({}) == 2
