"""Member aggregates ⇄ MongoDB documents, with the derived fields the directory searches on
(folded name keys, sort key, listed flag) and the published showcase entry."""

from __future__ import annotations

from datetime import date, datetime, time

from members_service.domain.ambassador import AmbassadorScope, Ambassadorship
from members_service.domain.consent import Channel, ConsentRecord, Purpose
from members_service.domain.model import Member
from members_service.domain.profile import (
    SEARCH_KEYS_VERSION,
    Cohort,
    DeceasedStatus,
    Education,
    EmailAddress,
    Position,
    Section,
    Visibility,
    name_key,
    name_parts,
    search_key,
)
from members_service.domain.showcase import (
    PublicShowcase,
    ShowcaseChannel,
    ShowcaseField,
    ShowcaseProfile,
    ShowcaseScope,
)
from servicekit.mongo import Document

NO_EMAIL_PREFIX = "no-email:"  # never an address: addresses are validated and hold an "@"
# Fields derived from the folding rule (`search_key`, `name_key`), recomputed when it changes.
SEARCH_KEY_FIELDS = ("sort_key", "last_key", "first_key", "usage_key", "birth_key", "last_part_key",
                     "first_part_key", "employer_keys", "city_key", "keys_version")


def _last_part(name: str) -> str | None:
    parts = name_parts(name)
    return parts[-1] if len(parts) > 1 else None


def sort_key(member: Member) -> str:
    return "\x1f".join((name_key(member.last_name), name_key(member.first_name), member.id))


def _day(d: date | None) -> datetime | None:
    return datetime.combine(d, time()) if d else None


def _date(value: datetime | None) -> date | None:
    return value.date() if value else None


def to_document(member: Member) -> Document:
    current = [p for p in member.career if p.current]
    return {
        "_id": member.id, "tenant": member.tenant, "version": member.version,
        "first_name": member.first_name, "last_name": member.last_name,
        "usage_name": member.usage_name, "birth_name": member.birth_name, "birth_date": _day(member.birth_date),
        # The unique key of the address; a member without any gets a key no address can take
        # (the unique index then needs no partial filter, on MongoDB and the stand-in alike).
        "email": member.email or f"{NO_EMAIL_PREFIX}{member.id}",
        "emails": [{"address": e.address, "primary": e.primary} for e in member.emails],
        "phone": member.phone, "locale": member.locale, "photo_url": member.photo_url,
        "linkedin_url": member.linkedin_url, "city": member.city, "country": member.country,
        "education": [{"program": e.program, "graduation_year": e.graduation_year, "degree": e.degree,
                       "campus": e.campus} for e in member.education],
        "career": [{"employer": p.employer, "job_title": p.job_title, "sector": p.sector, "city": p.city,
                    "country": p.country, "start": _day(p.start), "end": _day(p.end)} for p in member.career],
        "email_bounced": member.email_bounced, "mail_returned": member.mail_returned,
        "deceased": member.deceased.value, "deceased_suggested_by": member.deceased_suggested_by,
        "visibility": {k.value: v.value for k, v in member.visibility.items()},
        "consents": {p.value: consent_document(r) for p, r in member.consents.items()},
        "registered_at": member.registered_at,
        "showcase": _showcase_doc(member.showcase),
        "showcase_public": _public_doc(member.showcase_public),
        "ambassador": _ambassador_doc(member.ambassador),
        "self_edited": sorted(member.self_edited),
        # Derived search fields (DESIGN §9: prefix search as ranges on folded keys).
        "listed": member.listed,
        "sort_key": sort_key(member),
        "last_key": name_key(member.last_name),
        "first_key": name_key(member.first_name),
        "usage_key": name_key(member.usage_name) if member.usage_name else None,
        "birth_key": name_key(member.birth_name) if member.birth_name else None,
        # The last part of a compound name, so that `pierre` finds Jean-Pierre and `goff` Le Goff.
        "last_part_key": _last_part(member.last_name),
        "first_part_key": _last_part(member.first_name),
        "employer_keys": sorted({search_key(p.employer) for p in current}),
        "sectors": sorted({p.sector for p in current if p.sector}),
        "city_key": search_key(member.city) if member.city else None,
        "keys_version": SEARCH_KEYS_VERSION,  # the folding rule these keys were computed with
        "is_ambassador": member.ambassador is not None,
        "showcase_live": member.showcase_public is not None,
        "showcase_expires_at": member.showcase_public.expires_at if member.showcase_public else None,
    }


def _cohort_doc(c: Cohort) -> Document:
    return {"program": c.program, "graduation_year": c.graduation_year}


def _scope_doc(scope: ShowcaseScope | None) -> Document | None:
    if scope is None:
        return None
    return {"fields": sorted(scope.fields), "channels": sorted(scope.channels), "expires_at": scope.expires_at}


def _scope(doc: Document | None) -> ShowcaseScope | None:
    if doc is None:
        return None
    return ShowcaseScope(frozenset(ShowcaseField(f) for f in doc["fields"]),
                         frozenset(ShowcaseChannel(c) for c in doc["channels"]), doc["expires_at"])


def _showcase_doc(showcase: ShowcaseProfile | None) -> Document | None:
    return None if showcase is None else dict(showcase.__dict__)


def _public_doc(entry: PublicShowcase | None) -> Document | None:
    if entry is None:
        return None
    doc = dict(entry.__dict__)
    doc["channels"] = sorted(entry.channels)
    doc["cohort"] = _cohort_doc(entry.cohort) if entry.cohort else None
    return doc


def public_from_document(doc: Document) -> PublicShowcase:
    values = dict(doc)
    values["channels"] = frozenset(ShowcaseChannel(c) for c in doc["channels"])
    values["cohort"] = Cohort(**doc["cohort"]) if doc.get("cohort") else None
    return PublicShowcase(**values)


def _ambassador_doc(a: Ambassadorship | None) -> Document | None:
    if a is None:
        return None
    return {"cohorts": [_cohort_doc(c) for c in a.scope.cohorts], "programs": list(a.scope.programs),
            "cities": list(a.scope.cities), "appointed_at": a.appointed_at, "appointed_by": a.appointed_by}


def _ambassador(doc: Document | None) -> Ambassadorship | None:
    if doc is None:
        return None
    scope = AmbassadorScope(tuple(Cohort(**c) for c in doc["cohorts"]), tuple(doc["programs"]), tuple(doc["cities"]))
    return Ambassadorship(scope, doc["appointed_at"], doc["appointed_by"])


def consent_document(r: ConsentRecord) -> Document:
    return {"purpose": r.purpose.value, "granted": r.granted, "text_version": r.text_version,
            "language": r.language, "channel": r.channel.value, "actor": r.actor, "actor_role": r.actor_role,
            "at": r.at, "scope": _scope_doc(r.scope)}


def consent_from_document(doc: Document) -> ConsentRecord:
    return ConsentRecord(purpose=Purpose(doc["purpose"]), granted=doc["granted"], text_version=doc["text_version"],
                         language=doc["language"], channel=Channel(doc["channel"]), actor=doc["actor"],
                         actor_role=doc["actor_role"], at=doc["at"], scope=_scope(doc.get("scope")))


def from_document(doc: Document) -> Member:
    return Member(
        id=doc["_id"], tenant=doc["tenant"], version=doc["version"], first_name=doc["first_name"],
        last_name=doc["last_name"], usage_name=doc.get("usage_name"), birth_name=doc.get("birth_name"),
        emails=tuple(EmailAddress(e["address"], e["primary"]) for e in doc["emails"]) if "emails" in doc else (
            EmailAddress(doc["email"], True),),
        birth_date=_date(doc.get("birth_date")),
        phone=doc.get("phone"), locale=doc["locale"], photo_url=doc.get("photo_url"),
        linkedin_url=doc.get("linkedin_url"), city=doc.get("city"), country=doc.get("country"),
        education=tuple(Education(e["program"], e["graduation_year"], e.get("degree"), e.get("campus"))
                        for e in doc.get("education", [])),
        career=tuple(Position(p["employer"], p["job_title"], p.get("sector"), p.get("city"), p.get("country"),
                              _date(p.get("start")), _date(p.get("end"))) for p in doc.get("career", [])),
        email_bounced=doc.get("email_bounced", False), mail_returned=doc.get("mail_returned", False),
        deceased=DeceasedStatus(doc.get("deceased", "no")), deceased_suggested_by=doc.get("deceased_suggested_by"),
        visibility={Section(k): Visibility(v) for k, v in doc.get("visibility", {}).items()},
        consents={Purpose(k): consent_from_document(v) for k, v in doc.get("consents", {}).items()},
        registered_at=doc["registered_at"],
        showcase=ShowcaseProfile(**doc["showcase"]) if doc.get("showcase") else None,
        showcase_public=public_from_document(doc["showcase_public"]) if doc.get("showcase_public") else None,
        ambassador=_ambassador(doc.get("ambassador")),
        self_edited=frozenset(doc.get("self_edited", ())),
    )
