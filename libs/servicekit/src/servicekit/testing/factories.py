"""Sample contract events for tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alumni_contracts.common import Cohort, Locale
from alumni_contracts.envelope import CloudEvent
from alumni_contracts.members.v2 import MemberRegistered


def member_registered_event(tenant: str = "demo", member_id: str = "m1", locale: Locale = Locale.FR,
                            **overrides: Any) -> CloudEvent[Any]:
    data = MemberRegistered(member_id=member_id, first_name="Béatrice", last_name="Dupont",
                            email=f"{member_id}@example.org", locale=locale,
                            cohort=Cohort(program="MSc", graduation_year=2012),
                            registered_at=datetime(2026, 1, 2, tzinfo=UTC))
    return CloudEvent.wrap(data, tenant=tenant, subject=member_id, aggregate_version=1, correlation_id="corr-1",
                           **overrides)
