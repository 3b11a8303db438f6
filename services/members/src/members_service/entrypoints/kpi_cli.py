"""`alumni-members-kpis rebuild --tenant demo`: recompute a tenant's dues KPIs from the register
and the stored memberships, straight against members' database (`MEMBERS_MONGO_URI`,
`MEMBERS_MONGO_DB`), with no request timeout — for large tenants, or after a fix to the
definitions. The staff command `POST /api/v1/membership-kpis/rebuild` does the same through
the gateway."""

from __future__ import annotations

import argparse
import asyncio
import json

from members_service.adapters.kpi_unit_of_work import MongoKpiUnitOfWork
from members_service.config import MembersSettings
from members_service.service_layer import kpis
from members_service.service_layer.contract_mapping import to_contract
from servicekit.mongo import create_client


async def rebuild(settings: MembersSettings, tenants: list[str]) -> dict[str, kpis.RebuildResult]:
    client = create_client(settings.mongo_uri, "members-kpis-cli")
    try:
        return {t: await kpis.rebuild(t, None, MongoKpiUnitOfWork(client, settings.mongo_db, to_contract))
                for t in tenants}
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="alumni-members-kpis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rebuild_cmd = sub.add_parser("rebuild", help="recompute the dues KPIs of tenants")
    rebuild_cmd.add_argument("--tenant", action="append", required=True, help="tenant id (repeatable)")
    args = parser.parse_args(argv)
    results = asyncio.run(rebuild(MembersSettings(), args.tenant))
    print(json.dumps({t: {"members": r.members, "memberships": r.memberships, "changed_figures": r.changed_keys}
                      for t, r in results.items()}))


if __name__ == "__main__":
    main()
