"""The use case through which a service hands over what it holds about a member (GDPR access
and portability); the gateway asks every service and assembles the answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from alumni_contracts import naming
from alumni_contracts.privacy import EXPORT_MEMBER_DATA, ExportMemberData, MemberDataExport
from alumni_contracts.rpc import ALUMNI_AND_STAFF
from servicekit.authz import Ownership
from servicekit.bus import MessageBus, UseCase, serve
from servicekit.domain import NotFound
from servicekit.mongo import Document
from servicekit.personal_data import export_records
from servicekit.rpc import RequestHandler

# Collection → the query finding one member's records in it, for (tenant, member id).
ExportQueries = Callable[[str, str], dict[str, Document]]


class MemberDataNotFound(NotFound):
    code = "member-not-found"
    title = "Member not found"


@dataclass(frozen=True)
class ExportQuery:
    tenant: str
    member_id: str


def export_use_case(service: str) -> UseCase[ExportMemberData]:
    # Alumni export themselves only; another id is "not found", as everywhere else.
    return UseCase(subject=naming.query_subject(service, EXPORT_MEMBER_DATA), request=ExportMemberData,
                   roles=ALUMNI_AND_STAFF, ownership=Ownership.NAMED,
                   message=lambda req, who: ExportQuery(who.tenant, who.target),
                   description=f"Everything {service} holds about one member (GDPR access).")


def export_handler(service: str, db: AsyncDatabase[Document], queries: ExportQueries,
                   required: str | None = None) -> RequestHandler:
    """`required`: the collection that holds the member record itself (members): no record
    there means no such member in this tenant, a 404 rather than an empty export."""
    async def export(query: ExportQuery) -> MemberDataExport:
        records = await export_records(db, queries(query.tenant, query.member_id))
        if required is not None and not records.get(required):
            raise MemberDataNotFound(query.member_id)
        return MemberDataExport(service=service, records=records)

    [handler] = serve([export_use_case(service)], MessageBus({ExportQuery: export}))
    return handler
