"""What an import will do with each row, and the job that carries it out.

Every row is classified before anything is written — this is the preview and the dry run:
`new` (a member to create), `update` (an existing member, same email, whose profile the row
changes), `unchanged` (the same data again: importing a file twice changes nothing), `review`
(probably someone already known — same name and cohort, another email — or listed twice in the
file: a manager decides `create`, `merge` or `skip`), `error` (the row cannot be imported; the
message names the field and the line).

A row without an email is never matched by email: it is the member of the same name and cohort
when both have the same birth date, another person when both have a birth date and they differ,
and a row to review otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from members_service.domain.csv_import import ImportField, RowCheck
from members_service.domain.model import Member, ProfileChanges
from members_service.domain.profile import Cohort, Education, EmailAddress, Position, search_key
from servicekit.domain import Conflict, NotFound, new_id


class RowStatus(StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REVIEW = "review"
    ERROR = "error"


class Decision(StrEnum):
    CREATE = "create"  # a different person: create them
    MERGE = "merge"  # the same person: update the matched member
    SKIP = "skip"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REJECTED = "rejected"  # a row with errors (reported by the preview)
    FAILED = "failed"  # could not be written (e.g. its email was registered since the preview)


@dataclass
class PlannedRow:
    line: int
    values: dict[str, str | int]
    errors: list[str] = field(default_factory=list)
    status: RowStatus = RowStatus.NEW
    match_member_id: str | None = None
    reason: str | None = None
    decision: Decision | None = None
    outcome: Outcome | None = None
    member_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)

    def action(self) -> RowStatus | Decision | None:
        """What the commit does with it: NEW/UPDATE, or the decision taken on a review."""
        if self.status in (RowStatus.NEW, RowStatus.UPDATE):
            return self.status
        if self.status is RowStatus.REVIEW:
            return self.decision
        return None


def classify(check: RowCheck, *, earlier_email_line: int | None, earlier_identity_line: int | None,
             by_email: Member | None, by_identity: Member | None, other_namesakes: int = 0) -> PlannedRow:
    """`by_identity` is a member of the row's name and cohort; `other_namesakes` how many more
    there are (a row matching several is never settled alone)."""
    row = PlannedRow(check.line, dict(check.values), list(check.errors), warnings=list(check.warnings),
                     cells=list(check.cells))
    born = check.birth_date
    if row.errors:
        row.status = RowStatus.ERROR
    elif check.email and earlier_email_line is not None:
        row.status, row.errors = RowStatus.ERROR, [f"email: same address as line {earlier_email_line}"]
    elif check.email and by_email is not None:
        _same_person(row, by_email)
    elif by_identity is not None and not check.email and born and by_identity.birth_date is not None:
        if by_identity.birth_date.isoformat() == born:  # name, cohort and birth date: the same person
            _same_person(row, by_identity)
        # else a namesake of the class born another day: someone else (NEW)
    elif by_identity is not None and not check.email and not other_namesakes and same_as_stored(by_identity,
                                                                                                 row.values):
        # The same register again (no email, no birth date to tell): nothing to decide, nothing to write.
        row.status, row.match_member_id = RowStatus.UNCHANGED, by_identity.id
    elif by_identity is not None:
        row.status, row.match_member_id = RowStatus.REVIEW, by_identity.id
        row.reason = f"same name and cohort as {describe(by_identity, row.values)}"
        if other_namesakes:
            row.reason += f" (and {other_namesakes} other member(s) of that name and cohort)"
        if theirs := own_edits(by_identity, import_changes(by_identity, row.values)):
            row.reason += f"; they edited their own {', '.join(theirs)} themselves"
    elif earlier_identity_line is not None:
        row.status, row.reason = RowStatus.REVIEW, f"same name and cohort as line {earlier_identity_line}"
    return row


def _same_person(row: PlannedRow, member: Member) -> None:
    """The row is this member: unchanged, an update, or a review when it would overwrite what
    the member edited themselves (a manager's `merge` writes the file's values, `skip` keeps theirs)."""
    row.match_member_id = member.id
    changes = import_changes(member, row.values)
    if changes is None:
        row.status = RowStatus.UNCHANGED
    elif theirs := own_edits(member, changes):
        row.status = RowStatus.REVIEW
        row.reason = (f"{member.first_name} {member.last_name} edited their own {', '.join(theirs)} themselves: "
                      "merge writes the file's values over theirs, skip keeps theirs")
    else:
        row.status = RowStatus.UPDATE


def own_edits(member: Member, changes: ProfileChanges | None) -> list[str]:
    """The fields these changes would overwrite that the member last changed themselves."""
    if changes is None:
        return []
    return sorted(n for n, v in changes.__dict__.items() if v is not None and n in member.self_edited)


def without_own_edits(member: Member, changes: ProfileChanges | None) -> ProfileChanges | None:
    """An import's update, minus the fields the member edited themselves (they may have done so
    between the preview and the commit): None when nothing is left."""
    theirs = own_edits(member, changes)
    if changes is None or not theirs:
        return changes
    kept = replace(changes, **dict.fromkeys(theirs))
    return kept if any(v is not None for v in kept.__dict__.values()) else None


def describe(member: Member, values: dict[str, str | int]) -> str:
    """The matched member as a manager reviewing the row knows them (staff see names and
    emails): name, cohort, email or not — and the id, for the API."""
    year = values.get(ImportField.GRADUATION_YEAR.value)
    cohorts = [e for e in member.education if e.graduation_year == year] or list(member.education[:1])
    cohort = f", {cohorts[0].program} {cohorts[0].graduation_year}" if cohorts else ""
    return (f"{member.first_name} {member.last_name}{cohort} ({member.email or 'no email'}; "
            f"member {member.id})")


def same_as_stored(member: Member, values: dict[str, str | int]) -> bool:
    """Every mapped, non-empty value of the row equals what the member's record holds: the
    import would write nothing, and the details an import does not overwrite (degree and campus
    of a known cohort, job title and sector at the current employer) agree too."""
    if import_changes(member, values) is not None:
        return False
    program, year = _text(values, ImportField.PROGRAM), values.get(ImportField.GRADUATION_YEAR.value)
    for e in member.education:
        if e.program == program and e.graduation_year == year:
            for f, stored in ((ImportField.DEGREE, e.degree), (ImportField.CAMPUS, e.campus)):
                if (v := _text(values, f)) is not None and v != stored:
                    return False
    employer = _text(values, ImportField.EMPLOYER)
    for p in member.career:
        if employer and p.current and search_key(p.employer) == search_key(employer):
            for f, stored in ((ImportField.JOB_TITLE, p.job_title), (ImportField.SECTOR, p.sector)):
                if (v := _text(values, f)) is not None and v != stored:
                    return False
    born = _text(values, ImportField.BIRTH_DATE)
    return born is None or (member.birth_date is not None and member.birth_date.isoformat() == born)


def _text(values: dict[str, str | int], f: ImportField) -> str | None:
    v = values.get(f.value)
    return str(v) if v not in (None, "") else None


def import_changes(member: Member, values: dict[str, str | int]) -> ProfileChanges | None:
    """The changes a row brings to an existing member, or None: present cells overwrite,
    empty cells leave the profile alone, a new cohort or employer is added to the history."""
    def differs(f: ImportField, current: str | None) -> str | None:
        new = _text(values, f)
        return new if new is not None and new != current else None

    emails = None
    email = _text(values, ImportField.EMAIL)
    if email and email not in {e.address for e in member.emails}:  # a merge found by name and cohort
        emails = (*member.emails, EmailAddress(email, False))
    education = None
    program, year = _text(values, ImportField.PROGRAM), values.get(ImportField.GRADUATION_YEAR.value)
    if program and isinstance(year, int) and Cohort(program, year) not in {e.cohort for e in member.education}:
        education = (*member.education, Education(program, year, _text(values, ImportField.DEGREE),
                                                  _text(values, ImportField.CAMPUS)))
    born = _text(values, ImportField.BIRTH_DATE)
    birth_date = date.fromisoformat(born) if born and member.birth_date is None else None
    career = None
    employer = _text(values, ImportField.EMPLOYER)
    if employer and not any(p.current and search_key(p.employer) == search_key(employer) for p in member.career):
        career = (*member.career, Position(employer, _text(values, ImportField.JOB_TITLE) or "—",
                                           _text(values, ImportField.SECTOR)))
    changes = ProfileChanges(
        first_name=differs(ImportField.FIRST_NAME, member.first_name),
        last_name=differs(ImportField.LAST_NAME, member.last_name),
        usage_name=differs(ImportField.USAGE_NAME, member.usage_name),
        birth_name=differs(ImportField.BIRTH_NAME, member.birth_name),
        emails=emails, phone=differs(ImportField.PHONE, member.phone),
        locale=differs(ImportField.LOCALE, member.locale),
        linkedin_url=differs(ImportField.LINKEDIN_URL, member.linkedin_url),
        city=differs(ImportField.CITY, member.city), country=differs(ImportField.COUNTRY, member.country),
        education=education, career=career, birth_date=birth_date)
    return changes if any(v is not None for v in changes.__dict__.values()) else None


def new_member(tenant: str, values: dict[str, str | int], now: datetime) -> Member:
    """A member created from a row: registered (one `member_registered`, origin "import"),
    with the rest of the row as their profile; without an email when the row has none."""
    year = values[ImportField.GRADUATION_YEAR.value]
    assert isinstance(year, int)
    member = Member.register(
        tenant=tenant, first_name=str(values[ImportField.FIRST_NAME.value]),
        last_name=str(values[ImportField.LAST_NAME.value]), email=_text(values, ImportField.EMAIL),
        locale=_text(values, ImportField.LOCALE) or "fr",
        cohort=Cohort(str(values[ImportField.PROGRAM.value]), year), now=now, origin="import")
    member.fill_imported_profile(
        usage_name=_text(values, ImportField.USAGE_NAME), birth_name=_text(values, ImportField.BIRTH_NAME),
        phone=_text(values, ImportField.PHONE), city=_text(values, ImportField.CITY),
        country=_text(values, ImportField.COUNTRY), linkedin_url=_text(values, ImportField.LINKEDIN_URL),
        degree=_text(values, ImportField.DEGREE), campus=_text(values, ImportField.CAMPUS),
        birth_date=date.fromisoformat(born) if (born := _text(values, ImportField.BIRTH_DATE)) else None,
        position=Position(employer, _text(values, ImportField.JOB_TITLE) or "—", _text(values, ImportField.SECTOR))
        if (employer := _text(values, ImportField.EMPLOYER)) else None, now=now)
    return member


# -- the job ------------------------------------------------------------------------------

# How long a job and its report (the rejected rows, personal data copied from the file) live:
# from the upload while nobody commits, from the end of the commit once committed.
REPORT_RETENTION = timedelta(days=7)


class ImportState(StrEnum):
    UPLOADED = "uploaded"  # file stored, columns read, mapping suggested
    VALIDATING = "validating"  # rows being checked (the dry run)
    VALIDATED = "validated"  # report ready; reviews can be decided; commit can start
    COMMITTING = "committing"
    COMPLETED = "completed"
    FAILED = "failed"


class ImportNotFound(NotFound):
    code = "import-not-found"
    title = "Import not found"


class InvalidImportState(Conflict):
    code = "invalid-import-state"
    title = "Not possible in this state of the import"


@dataclass(eq=False)
class ImportJob:
    """Publishes nothing itself: the members it creates or changes publish their own events.
    `revision` guards concurrent changes (the worker and a manager's decisions)."""

    id: str
    tenant: str
    revision: int = 0
    filename: str = ""
    object_name: str = ""
    size: int = 0
    encoding: str = ""
    delimiter: str = ","
    header: list[str] = field(default_factory=list)
    mapping: dict[str, ImportField] = field(default_factory=dict)
    state: ImportState = ImportState.UPLOADED
    counts: dict[str, int] = field(default_factory=dict)  # rows by status, then by outcome
    total: int = 0
    last_line: int = 0  # line of the last data row (lines count the header and multi-line cells)
    done: int = 0  # rows validated, or committed, in the current phase
    committed_through: int = 0  # commit: every row up to this line is settled
    created_by: str = ""
    created_at: datetime | None = None
    finished_at: datetime | None = None
    failure: str | None = None
    failures: list[str] = field(default_factory=list)  # rows not imported, by line (the first ones)
    rejected: int = 0  # rows not imported at commit: errors of the preview, and rows that failed
    report_expires_at: datetime | None = None  # then the job and its rejected rows are deleted
    # The request that started the commit and its flow: what the worker's events name as their cause.
    cause_id: str | None = None
    correlation_id: str | None = None

    @classmethod
    def upload(cls, *, tenant: str, job_id: str | None, filename: str, object_name: str, size: int, encoding: str,
               delimiter: str, header: list[str], mapping: dict[str, ImportField], by: str, now: datetime,
               retention: timedelta = REPORT_RETENTION) -> ImportJob:
        return cls(id=job_id or new_id(), tenant=tenant, filename=filename, object_name=object_name, size=size,
                   encoding=encoding, delimiter=delimiter, header=header, mapping=mapping, created_by=by,
                   created_at=now, report_expires_at=now + retention)

    def _require(self, *states: ImportState) -> None:
        if self.state not in states:
            raise InvalidImportState(f"the import is {self.state.value}; this needs {' or '.join(states)}")

    def start_validation(self, mapping: dict[str, ImportField]) -> None:
        """(Re)validate with this mapping: the preview starts over."""
        self._require(ImportState.UPLOADED, ImportState.VALIDATED)
        self.mapping, self.state, self.counts, self.done = dict(mapping), ImportState.VALIDATING, {}, 0
        self.failures = []

    def validated(self, counts: dict[str, int], total: int, failures: list[str]) -> None:
        """The dry-run report: counts by status, the first rows with errors."""
        self._require(ImportState.VALIDATING)
        self.state, self.counts, self.total, self.done = ImportState.VALIDATED, counts, total, total
        self.failures = failures

    def start_commit(self, undecided_reviews: int, skip_undecided: bool) -> None:
        self._require(ImportState.VALIDATED)
        if undecided_reviews and not skip_undecided:
            raise InvalidImportState(f"{undecided_reviews} row(s) to review: decide them, or commit with "
                                     "undecided=skip")
        self.state, self.done, self.committed_through, self.failures = ImportState.COMMITTING, 0, 0, []
        self.rejected = 0

    def progressed(self, done: int) -> None:
        self.done = done

    def completed(self, now: datetime, retention: timedelta = REPORT_RETENTION) -> None:
        self._require(ImportState.COMMITTING)
        self.state, self.finished_at = ImportState.COMPLETED, now
        self.report_expires_at = now + retention

    def fail(self, reason: str, now: datetime) -> None:
        self.state, self.failure, self.finished_at = ImportState.FAILED, reason, now
