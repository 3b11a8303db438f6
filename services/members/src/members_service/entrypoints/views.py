"""Domain objects → reply models (the wire shapes of `alumni_contracts.members.commands`)."""

from __future__ import annotations

from datetime import datetime

from alumni_contracts.common import Cohort as ContractCohort
from alumni_contracts.common import ConsentChannel, Locale, Purpose
from alumni_contracts.members import commands as c
from members_service.domain.ambassador import AmbassadorScope
from members_service.domain.consent import ConsentRecord
from members_service.domain.csv_import import REQUIRED, RowCheck
from members_service.domain.directory import DirectoryCard
from members_service.domain.erasure import Erasure
from members_service.domain.groups import Group, Membership
from members_service.domain.import_plan import ImportJob, ImportState, PlannedRow, RowStatus
from members_service.domain.model import Member
from members_service.domain.profile import Cohort, Education, Position
from members_service.domain.sectors import SectorList
from members_service.domain.showcase import PublicShowcase, ShowcaseScope


def _education(e: Education) -> c.EducationOut:
    return c.EducationOut(program=e.program, graduation_year=e.graduation_year, degree=e.degree, campus=e.campus)


def _position(p: Position) -> c.PositionOut:
    return c.PositionOut(employer=p.employer, job_title=p.job_title, sector=p.sector, city=p.city,
                         country=p.country, start=p.start, end=p.end)


def _cohort(k: Cohort) -> ContractCohort:
    return ContractCohort(program=k.program, graduation_year=k.graduation_year)


def _scope(s: ShowcaseScope | None) -> c.ShowcaseScopeOut | None:
    if s is None:
        return None
    return c.ShowcaseScopeOut(fields=[c.ShowcaseField(f.value) for f in sorted(s.fields)],
                              channels=[c.ShowcaseChannel(x.value) for x in sorted(s.channels)], expires_at=s.expires_at)


def _ambassador_scope(s: AmbassadorScope) -> c.AmbassadorScopeOut:
    return c.AmbassadorScopeOut(cohorts=[_cohort(k) for k in s.cohorts], programs=list(s.programs),
                                cities=list(s.cities))


def _consent_state(r: ConsentRecord) -> c.ConsentStateOut:
    return c.ConsentStateOut(purpose=Purpose(r.purpose.value), granted=r.granted, text_version=r.text_version,
                             language=Locale(r.language), channel=ConsentChannel(r.channel.value), at=r.at,
                             scope=_scope(r.scope))


def member_view(m: Member) -> c.MemberView:
    assert m.registered_at is not None
    return c.MemberView(
        member_id=m.id, version=m.version, first_name=m.first_name, last_name=m.last_name,
        usage_name=m.usage_name, birth_name=m.birth_name, birth_date=m.birth_date, email=m.email or None,
        hygiene=[f.value for f in m.hygiene],
        emails=[c.EmailOut(address=e.address, primary=e.primary) for e in m.emails], phone=m.phone,
        locale=Locale(m.locale), photo_url=m.photo_url, linkedin_url=m.linkedin_url, city=m.city, country=m.country,
        cohort=_cohort(m.cohort),
        education=[_education(e) for e in m.education], career=[_position(p) for p in m.career],
        email_bounced=m.email_bounced, mail_returned=m.mail_returned, deceased=c.DeceasedStatus(m.deceased.value),
        listed_in_directory=m.listed,
        visibility={c.Section(k.value): c.Visibility(v.value) for k, v in m.visibility.items()},
        consents=[_consent_state(r) for r in sorted(m.consents.values(), key=lambda r: r.purpose.value)],
        registered_at=m.registered_at,
        showcase=c.ShowcaseOut(**m.showcase.__dict__) if m.showcase else None,
        showcase_published=m.showcase_public is not None,
        ambassador=None if m.ambassador is None else c.AmbassadorOut(
            **_ambassador_scope(m.ambassador.scope).model_dump(), appointed_at=m.ambassador.appointed_at))


def consent_ledger(m: Member, history: list[ConsentRecord]) -> c.ConsentLedger:
    return c.ConsentLedger(
        member_id=m.id, current=[_consent_state(r) for r in sorted(m.consents.values(), key=lambda r: r.purpose)],
        history=[c.ConsentRecordOut(purpose=Purpose(r.purpose.value), granted=r.granted, text_version=r.text_version,
                                    language=Locale(r.language), channel=ConsentChannel(r.channel.value),
                                    actor_role=r.actor_role, at=r.at, scope=_scope(r.scope)) for r in history])


def directory_entry(card: DirectoryCard) -> c.DirectoryEntry:
    return c.DirectoryEntry(
        member_id=card.member_id, first_name=card.first_name, last_name=card.last_name, usage_name=card.usage_name,
        cohorts=[_cohort(k) for k in card.cohorts],
        education=None if card.education is None else [_education(e) for e in card.education],
        email=card.email, phone=card.phone, photo_url=card.photo_url, linkedin_url=card.linkedin_url,
        city=card.city, country=card.country,
        career=None if card.career is None else [_position(p) for p in card.career],
        ambassador=_ambassador_scope(card.ambassador) if card.ambassador else None)


def showcase_entry(e: PublicShowcase) -> c.ShowcaseEntryOut:
    return c.ShowcaseEntryOut(entry_id=e.entry_id, first_name=e.first_name, last_name=e.last_name,
                              cohort=_cohort(e.cohort) if e.cohort else None, photo_url=e.photo_url, quote=e.quote,
                              story=e.story, employer=e.employer, job_title=e.job_title)


def sector_list(s: SectorList) -> c.SectorListOut:
    return c.SectorListOut(version=s.version, sectors=[c.SectorOut(code=x.code, label_fr=x.label_fr,
                                                                   label_en=x.label_en) for x in s.sectors])



def erasure_status(e: Erasure, now: datetime) -> c.ErasureStatus:
    assert e.requested_at is not None and e.deadline is not None
    return c.ErasureStatus(erasure_id=e.id, status=e.state.value, requested_at=e.requested_at, deadline=e.deadline,
                           overdue=e.overdue(now), confirmations=dict(e.confirmations), completed_at=e.completed_at)


def import_view(job: ImportJob, sample: list[tuple[int, list[str]]] | None = None,
                understood: list[RowCheck] | None = None) -> c.ImportView:
    assert job.created_at is not None
    return c.ImportView(
        import_id=job.id, filename=job.filename, state=job.state.value, encoding=job.encoding,
        delimiter=job.delimiter, columns=job.header,
        mapping={k: c.ImportField(v.value) for k, v in job.mapping.items()},
        required_fields=[c.ImportField(f.value) for f in REQUIRED], total=job.total, done=job.done,
        progress_percent=round(100.0 * job.done / job.total, 1) if job.total else 100.0, counts=job.counts,
        created_at=job.created_at, finished_at=job.finished_at, failure=job.failure, failures=job.failures,
        rejected=job.rejected if job.state is ImportState.COMPLETED else job.counts.get(RowStatus.ERROR.value, 0),
        report_expires_at=job.report_expires_at,
        sample=None if sample is None else [_sample_row(line, cells, understood) for line, cells in sample])


def _sample_row(line: int, cells: list[str], understood: list[RowCheck] | None) -> c.SampleRow:
    check = next((u for u in understood or [] if u.line == line), None)
    if check is None:
        return c.SampleRow(line=line, cells=cells)
    return c.SampleRow(line=line, cells=cells, values=check.values, errors=check.errors, warnings=check.warnings)


def import_row(r: PlannedRow) -> c.ImportRowOut:
    return c.ImportRowOut(line=r.line, status=c.ImportRowStatus(r.status.value), values=r.values, errors=r.errors,
                          warnings=r.warnings, cells=r.cells, reason=r.reason, match_member_id=r.match_member_id,
                          decision=c.ImportDecision(r.decision.value) if r.decision else None)


def group(g: Group) -> c.GroupOut:
    assert g.created_at is not None
    return c.GroupOut(group_id=g.id, kind=c.GroupKind(g.kind.value), name=g.name, description=g.description,
                      policy=c.JoinPolicy(g.policy.value), cohort=_cohort(g.cohort) if g.cohort else None,
                      created_at=g.created_at)


def membership(m: Membership) -> c.MembershipOut:
    return c.MembershipOut(group_id=m.group_id, member_id=m.member_id, status=m.status.value,  # type: ignore[arg-type]
                           role=c.GroupRole(m.role.value))
