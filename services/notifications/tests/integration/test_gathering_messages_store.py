"""Gatherings' messages on the real database (the MongoDB stand-in): a change told to every
registrant is one transaction — a crash half-way queues nothing, the rerun queues each once, a
rerun after the commit nothing more; the QR and .ics survive the queue byte for byte; the
gathering's status and details follow their own versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notifications_service.adapters.gatherings import GATHERING_INDEXES, GATHERINGS, MongoGatheringsUnitOfWork
from notifications_service.adapters.mongo_repository import INDEXES, NOTIFICATIONS, from_document
from notifications_service.adapters.templates import JinjaRenderer
from notifications_service.adapters.tickets import TicketFiles
from notifications_service.bootstrap import composer_for
from notifications_service.config import NotificationsSettings
from notifications_service.service_layer import gatherings as g
from notifications_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import ensure_indexes
from servicekit.sealed import Sealer

pytestmark = pytest.mark.integration
START = datetime(2030, 6, 15, 17, 0, tzinfo=UTC)
SECRET = "an-integration-ticket-seal-secret-32chars"


class CrashingRenderer(JinjaRenderer):
    """Dies while rendering the n-th message (a process killed half-way through a fan-out)."""

    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.calls, self.crash_at = 0, crash_at

    def render_email(self, template: str, locale: str, values: dict[str, Any], brand: Any) -> Any:
        self.calls += 1
        if self.calls == self.crash_at:
            raise RuntimeError("killed")
        return super().render_email(template, locale, values, brand)


@pytest.fixture
async def uow(mongo_client: Any, db_name: str) -> Any:
    await ensure_indexes(mongo_client[db_name], [*INDEXES, *GATHERING_INDEXES])

    def make() -> MongoGatheringsUnitOfWork:
        return MongoGatheringsUnitOfWork(mongo_client, db_name, to_contract, None, 60.0)

    yield make
    await mongo_client.drop_database(db_name)


def settings() -> NotificationsSettings:
    return NotificationsSettings(message_id_domain="alumni.test", ticket_seal_secrets=SECRET)  # type: ignore[arg-type]


async def _setup(uow: Any, members: int) -> None:
    async with uow() as u:
        for i in range(members):
            await u.contacts.apply("demo", f"m{i}", 1, {"email": f"m{i}@example.org", "locale": "fr",
                                                       "first_name": f"M{i}", "contactable": True}, "version")
        await u.commit()
    await g.project_gathering(g.ProjectGathering("demo", "ev1", 2, {"status": "published"}), uow())
    await g.project_gathering(g.ProjectGathering("demo", "ev1", 1, {
        "title": "Gala", "title_en": None, "starts_at": START, "ends_at": START + timedelta(hours=4),
        "timezone": "Europe/Paris", "venue": "Campus", "online_url": None, "cancellation_policy": "",
        "status": "draft"}), uow())
    for i in range(members):
        await g.project_registrant(g.ProjectRegistrant("demo", f"r{i}", "ev1", f"m{i}", 1,
                                                       "waitlisted" if i % 2 else "registered"), uow())


async def test_a_crash_half_way_through_a_change_queues_nothing_and_the_rerun_each_once(
        uow: Any, mongo_client: Any, db_name: str) -> None:
    await _setup(uow, 6)
    async with uow() as u:
        gathering = await u.gatherings.get("demo", "ev1")
    assert gathering is not None and gathering.status == "published" and gathering.venue == "Campus", \
        "the details of the older event_scheduled were kept next to the newer status"
    change = g.AnnounceChange("demo", "chg-1", "ev1", 3, {"venue": "Salle Gaveau", "status": "published"})
    crashing = composer_for(CrashingRenderer(crash_at=4), settings())
    with pytest.raises(RuntimeError):
        await g.announce_change(change, uow(), crashing, TicketFiles())
    queued = mongo_client[db_name][NOTIFICATIONS]
    assert await queued.count_documents({"tenant": "demo"}) == 0, "the three queued before the crash rolled back"
    assert (await mongo_client[db_name][GATHERINGS].find_one({"_id": "ev1"}))["venue"] == "Campus"

    composer = composer_for(JinjaRenderer(), settings())
    assert await g.announce_change(change, uow(), composer, TicketFiles()) == 6
    assert await g.announce_change(change, uow(), composer, TicketFiles()) == 0  # rerun after the commit
    assert await queued.count_documents({"tenant": "demo", "template": "gathering_updated"}) == 6
    assert await mongo_client[db_name]["feed"].count_documents({"tenant": "demo"}) == 6


async def test_the_qr_and_the_ics_survive_the_queue(uow: Any, mongo_client: Any, db_name: str) -> None:
    await _setup(uow, 1)
    code = "K7QM-2XH4-9RTB-WC3D-P6NF"
    sealed = Sealer([SECRET], g.TICKET_SEAL_PURPOSE).seal(code, g.ticket_context("r9"))
    composer = composer_for(JinjaRenderer(), settings())
    sealer = Sealer([SECRET], g.TICKET_SEAL_PURPOSE)
    assert await g.confirm_seat(g.ConfirmSeat("demo", "cnf-1", "r9", "ev1", "m0", 1, 0, 0, "EUR", sealed), uow(),
                                composer, TicketFiles(), sealer)
    doc = await mongo_client[db_name][NOTIFICATIONS].find_one({"_id": "gathering_confirmed-cnf-1"})
    email = from_document(doc).email
    assert email is not None
    qr, ics = email.attachments
    assert qr.data == TicketFiles().qr(code).data and qr.content_id == "ticket-qr"
    assert code.encode() in ics.data and ics.content_type == "text/calendar; method=PUBLISH"
