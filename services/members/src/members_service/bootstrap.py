"""Composition root of the members service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from members_service.adapters.group_store import INDEXES as GROUP_INDEXES
from members_service.adapters.group_store import MEMBERSHIPS
from members_service.adapters.import_store import IMPORT_JOBS, NatsFileStore
from members_service.adapters.import_store import INDEXES as IMPORT_INDEXES
from members_service.adapters.import_store import OBSOLETE_INDEXES as OBSOLETE_IMPORT_INDEXES
from members_service.adapters.membership_store import DUES_MEMBERSHIPS
from members_service.adapters.membership_store import INDEXES as MEMBERSHIP_INDEXES
from members_service.adapters.mongo_repository import CONSENT_RECORDS, INDEXES, MEMBERS, MongoMemberRepository
from members_service.adapters.name_order_sketch import NameOrderSketches
from members_service.adapters.search_keys import SearchKeyMigration
from members_service.adapters.unit_of_work import MongoMembersUnitOfWork
from members_service.config import MembersSettings
from members_service.domain.import_plan import REPORT_RETENTION
from members_service.entrypoints.group_requests import group_request_handlers
from members_service.entrypoints.import_requests import import_request_handlers
from members_service.entrypoints.import_worker import import_worker
from members_service.entrypoints.membership_requests import membership_request_handlers
from members_service.entrypoints.membership_subscribers import membership_event_handlers
from members_service.entrypoints.requests import request_handlers
from members_service.entrypoints.subscribers import event_handlers
from members_service.service_layer import handlers, imports, membership
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.imports import StillMine
from members_service.service_layer.ports import FileStore, MemberReader, MembersUnitOfWork
from servicekit.data_export import export_handler
from servicekit.leases import LeasedQueue
from servicekit.mongo import Document
from servicekit.periodic import Sweep
from servicekit.runtime import Infrastructure, ServiceParts


def bootstrap(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader, files: FileStore,
              wake_import_worker: Callable[[], None] = lambda: None,
              import_retention: timedelta = REPORT_RETENTION) -> ServiceParts:
    return ServiceParts(
        requests=[*request_handlers(uow_factory, reader), *group_request_handlers(uow_factory, reader),
                  *import_request_handlers(uow_factory, files, wake_import_worker, import_retention),
                  *membership_request_handlers(uow_factory, reader)],
        events=[*event_handlers(uow_factory), *membership_event_handlers(uow_factory)])


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id},
            CONSENT_RECORDS: {"tenant": tenant, "member_id": member_id},
            MEMBERSHIPS: {"tenant": tenant, "member_id": member_id},
            DUES_MEMBERSHIPS: {"tenant": tenant, "member_id": member_id}}


def build(infra: Infrastructure) -> ServiceParts:
    settings = infra.settings
    assert isinstance(settings, MembersSettings)

    def uow() -> MongoMembersUnitOfWork:
        return MongoMembersUnitOfWork(infra.mongo, settings.mongo_db, to_contract, infra.wakeup)

    sketches = NameOrderSketches(infra.db, max_age_seconds=settings.directory_sketch_seconds)
    reader = MongoMemberRepository(infra.db, None, lambda _m: None, sketches)
    rekey = SearchKeyMigration(infra.db, sketches.mark_stale)

    async def directory_upkeep() -> None:
        try:  # members stored under an older folding rule get their keys first (once per start)
            await rekey.run_once()
        finally:
            await sketches.refresh_due()

    # Not leased: stale marks live in each replica's memory (its own directory walks).
    refresher = Sweep("members", "directory-upkeep", directory_upkeep, 10.0)

    async def expire_showcases() -> None:
        await handlers.expire_showcases(uow, reader)

    # Expired entries are already hidden from the public endpoint; this emits the event.
    expiry = Sweep("members", "showcase-expiry", expire_showcases, settings.showcase_sweep_seconds, db=infra.db)

    async def watch_erasures() -> None:
        await handlers.watch_erasure_deadlines(reader)

    deadlines = Sweep("members", "erasure-deadline-watch", watch_erasures, 3600.0, db=infra.db)
    files = NatsFileStore(infra.js)

    retention = timedelta(days=settings.import_report_retention_days)

    async def run_import_job(tenant: str, job_id: str, still_mine: StillMine) -> None:
        await imports.run_import_job(tenant, job_id, uow, reader, files, still_mine, retention=retention)

    async def expire_import_reports() -> None:
        await imports.expire_import_reports(uow, files)

    report_expiry = Sweep("members", "import-report-expiry", expire_import_reports, 600.0, db=infra.db)

    async def advance_memberships() -> None:
        await membership.advance_due_memberships(uow)

    # Leased: one replica at a time; each run catches up whatever came due meanwhile.
    membership_scheduler = Sweep("members", "membership-scheduler", advance_memberships,
                                 settings.membership_sweep_seconds, db=infra.db)

    importer = import_worker(LeasedQueue(infra.db[IMPORT_JOBS], settings.import_lease_seconds), run_import_job)
    parts = bootstrap(uow, reader, files, importer.wake, import_retention=retention)
    parts.requests = [*parts.requests, export_handler("members", infra.db, export_queries, required=MEMBERS)]
    parts.indexes = [*INDEXES, *IMPORT_INDEXES, *GROUP_INDEXES, *MEMBERSHIP_INDEXES]
    parts.obsolete_indexes = [*OBSOLETE_IMPORT_INDEXES]
    parts.workers = [refresher.run, expiry.run, deadlines.run, importer.run, report_expiry.run,
                     membership_scheduler.run]
    parts.stoppers = [refresher.stop, expiry.stop, deadlines.stop, importer.stop, report_expiry.stop,
                      membership_scheduler.stop]
    return parts
