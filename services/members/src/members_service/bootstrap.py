"""Composition root of the members service.

`bootstrap` wires use cases to whatever adapters it is given (fakes in unit tests);
`build` gives it the MongoDB ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import cast

from members_service.adapters.kpi_unit_of_work import MongoKpiUnitOfWork
from members_service.adapters.mongo_directory_search import MongoDirectorySearch
from members_service.adapters.mongo_dues_kpis import DUES_KPI_COUNTED
from members_service.adapters.mongo_dues_memberships import DUES_MEMBERSHIPS
from members_service.adapters.mongo_groups import MEMBERSHIPS
from members_service.adapters.mongo_imports import IMPORT_JOBS
from members_service.adapters.mongo_indexes import INDEXES, OBSOLETE_INDEXES
from members_service.adapters.mongo_members import CONSENT_RECORDS, MEMBERS
from members_service.adapters.mongo_name_order_sketch import NameOrderSketches
from members_service.adapters.mongo_reader import MongoMemberReader
from members_service.adapters.mongo_search_keys import SearchKeyMigration
from members_service.adapters.nats_file_store import NatsFileStore
from members_service.config import MembersSettings
from members_service.domain.import_plan import REPORT_RETENTION
from members_service.entrypoints.email_feedback_subscribers import email_feedback_handlers
from members_service.entrypoints.import_worker import import_worker
from members_service.entrypoints.kpi_subscribers import kpi_event_handlers
from members_service.entrypoints.membership_subscribers import membership_event_handlers
from members_service.entrypoints.subscribers import event_handlers
from members_service.entrypoints.use_cases import USE_CASES
from members_service.service_layer import (
    ambassadors,
    consents,
    groups,
    imports,
    kpis,
    membership,
    privacy,
    profiles,
    sectors,
    showcase,
)
from members_service.service_layer import directory as directory_service
from members_service.service_layer.contract_mapping import to_contract
from members_service.service_layer.imports import StillMine
from members_service.service_layer.ports import DirectorySearch, FileStore, MemberReader, MembersUnitOfWork
from servicekit.bus import MessageBus, fresh, serve
from servicekit.data_export import export_handler
from servicekit.leases import LeasedQueue
from servicekit.mongo import Document
from servicekit.periodic import Sweep
from servicekit.runtime import Infrastructure, ServiceParts


def message_bus(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader, files: FileStore,
                directory: DirectorySearch, wake_import_worker: Callable[[], None] = lambda: None,
                import_retention: timedelta = REPORT_RETENTION) -> MessageBus:
    """Each command and query of the members service → its handler, dependencies injected by
    parameter name (a fresh unit of work per message)."""
    return MessageBus.wire(
        [*profiles.HANDLERS, *consents.HANDLERS, *directory_service.HANDLERS, *showcase.HANDLERS, *ambassadors.HANDLERS,
         *sectors.HANDLERS, *privacy.HANDLERS, *groups.HANDLERS, *imports.HANDLERS, *membership.HANDLERS,
         kpis.membership_kpis, kpis.rebuild_kpis],
        uow=fresh(uow_factory), reader=reader, files=files, directory=directory, wake_worker=wake_import_worker,
        retention=import_retention)


def bootstrap(uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader, files: FileStore,
              wake_import_worker: Callable[[], None] = lambda: None,
              import_retention: timedelta = REPORT_RETENTION, *, directory: DirectorySearch) -> ServiceParts:
    bus = message_bus(uow_factory, reader, files, directory, wake_import_worker, import_retention)
    return ServiceParts(requests=serve(USE_CASES, bus),
                        events=[*event_handlers(uow_factory), *membership_event_handlers(uow_factory),
                                *email_feedback_handlers(uow_factory),
                                # `build` gives the unit of work with the KPI read model bound to it.
                                *kpi_event_handlers(cast(Callable[[], kpis.KpiUnitOfWork], uow_factory))])


def export_queries(tenant: str, member_id: str) -> dict[str, Document]:
    return {MEMBERS: {"tenant": tenant, "_id": member_id},
            CONSENT_RECORDS: {"tenant": tenant, "member_id": member_id},
            MEMBERSHIPS: {"tenant": tenant, "member_id": member_id},
            DUES_MEMBERSHIPS: {"tenant": tenant, "member_id": member_id},
            DUES_KPI_COUNTED: {"tenant": tenant, "_id": member_id}}


def build(infra: Infrastructure) -> ServiceParts:
    settings = infra.settings
    assert isinstance(settings, MembersSettings)

    def uow() -> MongoKpiUnitOfWork:
        return MongoKpiUnitOfWork(infra.mongo, settings.mongo_db, to_contract, infra.wakeup)

    sketches = NameOrderSketches(infra.db, max_age_seconds=settings.directory_sketch_seconds)
    reader = MongoMemberReader(infra.db)
    directory = MongoDirectorySearch(infra.db, sketches)
    rekey = SearchKeyMigration(infra.db, sketches.mark_stale)

    async def directory_upkeep() -> None:
        try:  # members stored under an older folding rule get their keys first (once per start)
            await rekey.run_once()
        finally:
            await sketches.refresh_due()

    # Not leased: stale marks live in each replica's memory (its own directory walks).
    refresher = Sweep("members", "directory-upkeep", directory_upkeep, 10.0)

    async def expire_showcases() -> None:
        await showcase.expire_showcases(uow, reader)

    # Expired entries are already hidden from the public endpoint; this emits the event.
    expiry = Sweep("members", "showcase-expiry", expire_showcases, settings.showcase_sweep_seconds, db=infra.db)

    async def watch_erasures() -> None:
        await privacy.watch_erasure_deadlines(reader)

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
    parts = bootstrap(uow, reader, files, importer.wake, import_retention=retention, directory=directory)
    parts.requests = [*parts.requests, export_handler("members", infra.db, export_queries, required=MEMBERS)]
    parts.indexes = [*INDEXES]
    parts.obsolete_indexes = [*OBSOLETE_INDEXES]
    parts.workers = [refresher.run, expiry.run, deadlines.run, importer.run, report_expiry.run,
                     membership_scheduler.run]
    parts.stoppers = [refresher.stop, expiry.stop, deadlines.stop, importer.stop, report_expiry.stop,
                      membership_scheduler.stop]
    return parts
