"""Use cases of consents: the ledger of what each member agreed to."""

from __future__ import annotations

from typing import Any

from alumni_contracts.members import commands as c
from alumni_contracts.rpc import ALUMNI_AND_STAFF
from members_service.domain.consent import Channel, Purpose
from members_service.domain.showcase import ShowcaseChannel, ShowcaseField, ShowcaseScope
from members_service.entrypoints import views
from members_service.entrypoints.use_cases.common import actor, command, query
from members_service.service_layer import consents
from servicekit.authz import Ownership
from servicekit.bus import Caller, UseCase


def showcase_scope(s: c.ShowcaseScopeIn | None) -> ShowcaseScope | None:
    if s is None:
        return None
    return ShowcaseScope(frozenset(ShowcaseField(f.value) for f in s.fields),
                         frozenset(ShowcaseChannel(x.value) for x in s.channels), s.expires_at)


def _set(req: c.SetConsent, who: Caller) -> consents.SetConsent:
    return consents.SetConsent(tenant=who.tenant, member_id=who.target, actor=actor(who), purpose=Purpose(req.purpose.value),
                          granted=req.granted, text_version=req.text_version, language=req.language.value,
                          channel=Channel(req.channel.value), scope=showcase_scope(req.scope))


def _ledger(found: Any) -> c.ConsentLedger:
    member, history = found
    return views.consent_ledger(member, history)


USE_CASES: list[UseCase[Any]] = [
    UseCase(subject=command(c.SET_CONSENT), request=c.SetConsent, roles=ALUMNI_AND_STAFF, ownership=Ownership.SELF,
            idempotent=True, message=_set, reply=_ledger,
            description="Grant or withdraw one consent; appended to the ledger."),
    UseCase(subject=query(c.GET_CONSENTS), request=c.GetConsents, roles=ALUMNI_AND_STAFF, ownership=Ownership.SELF,
            message=lambda req, who: consents.GetConsents(who.tenant, who.target, actor(who)), reply=_ledger,
            description="Current consents and their full history."),
]
