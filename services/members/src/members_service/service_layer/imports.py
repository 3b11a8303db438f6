"""Use cases of CSV imports: upload, validate (the preview and dry run), review, commit.

Validation and commit are long: a manager's call only moves the job to a working state; the
import worker (`run_import_job`) does the work chunk by chunk, each chunk committed with its
progress, so a crash resumes where it stopped and re-running a chunk cannot apply it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from alumni_contracts import naming
from members_service.domain.csv_import import (
    ImportField,
    RowCheck,
    check_mapping,
    check_row,
    decode,
    detect_delimiter,
    identity_key,
    rows,
    suggest_mapping,
)
from members_service.domain.import_plan import (
    REPORT_RETENTION,
    Decision,
    ImportJob,
    ImportNotFound,
    ImportState,
    InvalidImportState,
    Outcome,
    PlannedRow,
    RowStatus,
    classify,
    import_changes,
    new_member,
    without_own_edits,
)
from members_service.domain.model import EmailAlreadyRegistered, Member
from members_service.domain.profile import name_key
from members_service.service_layer.commands import Actor
from members_service.service_layer.ports import FileStore, MemberReader, MembersUnitOfWork
from servicekit import context
from servicekit.domain import utcnow
from servicekit.logging import get_logger
from servicekit.uow import after_commit

log = get_logger(__name__)
Clock = Callable[[], datetime]
StillMine = Callable[[], Awaitable[bool]]  # renews the worker's lease; False once it was lost
VALIDATION_CHUNK = 1000
COMMIT_BATCH = 250
SAMPLE_ROWS = 5
REPORT_LINES = 200  # rows with errors listed on the job itself (all of them: the rows, rejected.csv)


@dataclass(frozen=True)
class UploadImport:
    tenant: str
    actor: Actor
    job_id: str
    filename: str
    object_name: str
    size: int
    encoding: str | None
    delimiter: str | None


@dataclass(frozen=True)
class ImportAction:
    tenant: str
    job_id: str
    actor: Actor


@dataclass(frozen=True)
class ValidateImport(ImportAction):
    mapping: dict[str, ImportField] | None


@dataclass(frozen=True)
class DecideImportRow(ImportAction):
    line: int
    decision: Decision


@dataclass(frozen=True)
class CommitImport(ImportAction):
    skip_undecided: bool


class AbandonImport(ImportAction):
    pass


class GetImport(ImportAction):
    pass


@dataclass(frozen=True)
class ListImports:
    tenant: str
    actor: Actor
    limit: int


@dataclass(frozen=True)
class ImportRowsQuery(ImportAction):
    status: RowStatus | None
    after_line: int
    limit: int


@dataclass(frozen=True)
class Preview:
    job: ImportJob
    sample: list[tuple[int, list[str]]]
    understood: list[RowCheck]  # the sample read with the suggested mapping: what would be imported


async def _file_rows(files: FileStore, job: ImportJob) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    data = await files.get(job.object_name)
    if data is None:
        raise InvalidImportState("the uploaded file is gone (expired or the import ended): upload it again")
    text, _ = decode(data, job.encoding)
    return rows(text, job.delimiter)


async def upload_import(cmd: UploadImport, uow: MembersUnitOfWork, files: FileStore, clock: Clock = utcnow,
                        retention: timedelta = REPORT_RETENTION) -> Preview:
    """Read the stored file's encoding, separator and header; suggest a mapping."""
    cmd.actor.require_staff("imports members")
    # The file must be this tenant's upload of this import: the name is recomputed, never trusted
    # (another tenant's file is "not found", like everything of another tenant).
    if cmd.object_name != naming.import_object_name(cmd.tenant, cmd.job_id):
        raise ImportNotFound(f"no uploaded file {cmd.object_name} for this import")
    data = await files.get(cmd.object_name)
    if data is None:
        raise ImportNotFound(f"no uploaded file {cmd.object_name}")
    text, encoding = decode(data, cmd.encoding)
    delimiter = cmd.delimiter or detect_delimiter(text)
    header, body = rows(text, delimiter)
    sample: list[tuple[int, list[str]]] = []
    total = last_line = 0
    for line, cells in body:  # counted once here, so that progress has a total from the start
        total, last_line = total + 1, line
        if len(sample) < SAMPLE_ROWS:
            sample.append((line, cells))
    job = ImportJob.upload(tenant=cmd.tenant, job_id=cmd.job_id, filename=cmd.filename, object_name=cmd.object_name,
                           size=cmd.size, encoding=encoding, delimiter=delimiter, header=header,
                           mapping=suggest_mapping(header), by=cmd.actor.subject, now=clock(), retention=retention)
    job.total, job.last_line = total, last_line
    async with uow:
        await uow.import_jobs.add(job)
        await uow.commit()
    return Preview(job, sample, [check_row(line, cells, header, job.mapping, frozenset()) for line, cells in sample])


async def _job(uow: MembersUnitOfWork, tenant: str, job_id: str) -> ImportJob:
    job = await uow.import_jobs.get(tenant, job_id)
    if job is None:
        raise ImportNotFound(job_id)
    return job


async def validate_import(cmd: ValidateImport, uow: MembersUnitOfWork,
                          wake_worker: Callable[[], None] = lambda: None) -> ImportJob:
    """Start the preview (dry run) with this mapping (or the suggested one); the worker is woken
    once this commits (it reads what this writes)."""
    cmd.actor.require_staff("imports members")
    async with uow:
        job = await _job(uow, cmd.tenant, cmd.job_id)
        mapping = cmd.mapping if cmd.mapping is not None else job.mapping
        check_mapping(job.header, mapping)
        job.start_validation(mapping)
        await uow.import_rows.delete_job_rows(job.tenant, job.id)
        await uow.import_jobs.save(job)
        await uow.commit()
    after_commit(wake_worker)
    return job


async def decide(cmd: DecideImportRow, uow: MembersUnitOfWork) -> PlannedRow:
    cmd.actor.require_staff("imports members")
    line, decision = cmd.line, cmd.decision
    async with uow:
        job = await _job(uow, cmd.tenant, cmd.job_id)
        if job.state is not ImportState.VALIDATED:
            raise InvalidImportState(f"the import is {job.state.value}: decisions are taken on a validated import")
        row = await uow.import_rows.get(job.tenant, job.id, line)
        if row is None or row.status is not RowStatus.REVIEW:
            raise ImportNotFound(f"line {line} is not a row to review")
        if decision is Decision.MERGE and row.match_member_id is None:
            raise InvalidImportState(f"line {line} matches another line of the file, not a member: create or skip")
        await uow.import_rows.decide(job.tenant, job.id, line, decision)
        job.counts = await uow.import_rows.counts(job.tenant, job.id)
        await uow.import_jobs.save(job)
        await uow.commit()
    row.decision = decision
    return row


async def commit_import(cmd: CommitImport, uow: MembersUnitOfWork,
                        wake_worker: Callable[[], None] = lambda: None) -> ImportJob:
    """Start writing the validated rows; the worker is woken once this commits."""
    cmd.actor.require_staff("imports members")
    async with uow:
        job = await _job(uow, cmd.tenant, cmd.job_id)
        job.start_commit(await uow.import_rows.undecided_reviews(job.tenant, job.id), cmd.skip_undecided)
        origin = context.origin()  # the worker's events are caused by this request
        job.cause_id, job.correlation_id = origin.causation_id, origin.correlation_id
        await uow.import_jobs.save(job)
        await uow.commit()
    after_commit(wake_worker)
    return job


async def abandon_import(cmd: AbandonImport, uow: MembersUnitOfWork, files: FileStore,
                         clock: Clock = utcnow) -> ImportJob:
    """Drop an import that was not committed: its rows and file go (they hold personal data)."""
    cmd.actor.require_staff("imports members")
    async with uow:
        job = await _job(uow, cmd.tenant, cmd.job_id)
        if job.state in (ImportState.COMMITTING, ImportState.COMPLETED):
            raise InvalidImportState(f"the import is {job.state.value}: it cannot be abandoned")
        job.fail("abandoned", clock())
        await uow.import_rows.delete_job_rows(job.tenant, job.id)
        await uow.import_jobs.save(job)
        await uow.commit()
    await files.delete(job.object_name)
    return job


# -- the worker's side ----------------------------------------------------------------------

async def expire_import_reports(uow_factory: Callable[[], MembersUnitOfWork], files: FileStore,
                                clock: Clock = utcnow, batch: int = 100) -> int:
    """The retention sweep: a job whose report outlived its retention goes with its rows and file
    (a job still being worked on waits for its end)."""
    uow = uow_factory()
    async with uow:
        jobs = await uow.import_jobs.expired(clock(), batch)
    gone = 0
    for job in jobs:
        if job.state in (ImportState.VALIDATING, ImportState.COMMITTING):
            continue
        uow = uow_factory()
        async with uow:
            await uow.import_rows.delete_job_rows(job.tenant, job.id)
            await uow.import_jobs.delete(job)
            await uow.commit()
        await files.delete(job.object_name)
        gone += 1
        log.info("import report expired", import_id=job.id)
    return gone


async def run_import_job(tenant: str, job_id: str, uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader,
                         files: FileStore, still_mine: StillMine, clock: Clock = utcnow,
                         retention: timedelta = REPORT_RETENTION) -> None:
    """Carry a job in a working state to its end, chunk by chunk; `still_mine` is called
    between chunks (it renews the worker's lease) and stops the work once it was lost."""
    uow = uow_factory()
    async with uow:
        job = await _job(uow, tenant, job_id)
    if job.state is ImportState.VALIDATING:
        await _validate(job, uow_factory, reader, files, still_mine)
    elif job.state is ImportState.COMMITTING:
        origin = context.Origin(job.correlation_id or context.current().correlation_id, job.cause_id)
        with context.handling(context.resuming(origin, job.tenant)):
            await _commit(job, uow_factory, files, still_mine, clock, retention)


async def _validate(job: ImportJob, uow_factory: Callable[[], MembersUnitOfWork], reader: MemberReader,
                    files: FileStore, still_mine: StillMine) -> None:
    uow = uow_factory()
    async with uow:
        last, emails, identities = await uow.import_rows.seen(job.tenant, job.id)
    header, body = await _file_rows(files, job)
    sectors = frozenset(s.code for s in (await reader.sectors(job.tenant)).sectors)
    chunk: list[RowCheck] = []
    for line, cells in body:
        if line <= last:
            continue  # validated before a restart
        chunk.append(check_row(line, cells, header, job.mapping, sectors))
        if len(chunk) == VALIDATION_CHUNK:
            await _classify_and_store(job, chunk, emails, identities, uow_factory, reader)
            chunk = []
            if not await still_mine():
                return
    await _classify_and_store(job, chunk, emails, identities, uow_factory, reader)
    uow = uow_factory()
    async with uow:
        current = await _job(uow, job.tenant, job.id)
        counts = await uow.import_rows.counts(job.tenant, job.id)
        errors = await uow.import_rows.page(job.tenant, job.id, RowStatus.ERROR, 0, REPORT_LINES)
        current.validated(counts, sum(counts.get(s.value, 0) for s in RowStatus),
                          [f"line {r.line}: {'; '.join(r.errors)}" for r in errors])
        await uow.import_jobs.save(current)
        await uow.commit()
    log.info("import validated", import_id=job.id, counts=counts)


async def _classify_and_store(job: ImportJob, checks: list[RowCheck], emails: dict[str, int],
                              identities: dict[str, int], uow_factory: Callable[[], MembersUnitOfWork],
                              reader: MemberReader) -> None:
    if not checks:
        return
    known = await reader.by_emails(job.tenant, sorted({c.email for c in checks if c.email}))
    namesakes: dict[str, list[Member]] = {}
    last_keys = sorted({name_key(str(c.values.get(ImportField.LAST_NAME.value, ""))) for c in checks})
    for member in await reader.by_last_names(job.tenant, last_keys):
        for key in {identity_key(member.first_name, member.last_name, e.program, e.graduation_year)
                    for e in member.education}:
            namesakes.setdefault(key, []).append(member)
    planned = []
    for c in checks:
        identity = c.file_identity_key()
        same = sorted(namesakes.get(c.identity_key(), []),  # the namesake born that day first, if any
                      key=lambda m: not (c.birth_date and m.birth_date and m.birth_date.isoformat() == c.birth_date))
        row = classify(c, earlier_email_line=emails.get(c.email) if c.email else None,
                       earlier_identity_line=identities.get(identity),
                       by_email=known.get(c.email) if c.email else None, by_identity=same[0] if same else None,
                       other_namesakes=max(len(same) - 1, 0))
        if row.status is not RowStatus.ERROR:
            if c.email:  # rows without an email are never matched by email
                emails.setdefault(c.email, c.line)
            identities.setdefault(identity, c.line)
        planned.append((row, identity))
    uow = uow_factory()
    async with uow:
        await uow.import_rows.add_many(job, planned)
        job.progressed(job.done + len(planned))
        await uow.import_jobs.progress(job)
        await uow.commit()


async def _commit(job: ImportJob, uow_factory: Callable[[], MembersUnitOfWork], files: FileStore,
                  still_mine: StillMine, clock: Clock, retention: timedelta) -> None:
    """Windows of lines, each in one transaction with the job's `committed_through` mark: a
    restart resumes after the last committed window and never writes a row twice."""
    after = job.committed_through
    while after < job.last_line:
        until = after + COMMIT_BATCH
        uow = uow_factory()
        async with uow:
            window = await uow.import_rows.window(job.tenant, job.id, after, until)
        try:
            await _commit_window(job, window, until, uow_factory(), clock)
        except EmailAlreadyRegistered:
            # Someone registered one of these emails since the preview: one row at a time tells which.
            for row in window:
                row.outcome = row.member_id = None  # the failed transaction wrote nothing
            for row in window:
                try:
                    await _commit_window(job, [row], row.line, uow_factory(), clock)
                except EmailAlreadyRegistered:
                    row.outcome, row.errors = Outcome.FAILED, ["email: registered since the preview"]
                    await _commit_window(job, [row], row.line, uow_factory(), clock)
        after = until
        if not await still_mine():
            return
    uow = uow_factory()
    async with uow:
        current = await _job(uow, job.tenant, job.id)
        current.completed(clock(), retention)
        # Personal data copied from the file goes, but for the rejected rows: the report the office
        # downloads to fix them (deleted with the job at `report_expires_at`).
        await uow.import_rows.delete_job_rows(job.tenant, job.id, keep_rejected=True)
        await uow.import_jobs.save(current)
        await uow.commit()
    await files.delete(job.object_name)
    log.info("import completed", import_id=job.id, counts=current.counts)


async def _commit_window(job: ImportJob, window: list[PlannedRow], through_line: int, uow: MembersUnitOfWork,
                         clock: Clock) -> None:
    """One transaction: the members created or changed (with their events), the outcome counts
    and the `committed_through` mark."""
    async with uow:
        now = clock()
        created: list[Member] = []
        outcomes: dict[str, int] = {}
        for row in window:
            if row.outcome is None:
                await _apply(job, row, uow, created, now)
            assert row.outcome is not None
            outcomes[row.outcome.value] = outcomes.get(row.outcome.value, 0) + 1
        await uow.import_rows.record_failures(
            job.tenant, job.id, [r for r in window if r.outcome in (Outcome.FAILED, Outcome.REJECTED)])
        await uow.members.add_many(created)
        await uow.groups.ensure_cohort_groups(job.tenant, {e.cohort for m in created for e in m.education}, now)
        await uow.import_jobs.committed(job, through_line, len(window), outcomes)
        await uow.commit()


async def _apply(job: ImportJob, row: PlannedRow, uow: MembersUnitOfWork, created: list[Member],
                 now: datetime) -> None:
    action = row.action()
    if action in (RowStatus.NEW, Decision.CREATE):
        member = new_member(job.tenant, row.values, now)
        created.append(member)
        row.outcome, row.member_id = Outcome.CREATED, member.id
    elif action in (RowStatus.UPDATE, Decision.MERGE) and row.match_member_id:
        existing = await uow.members.get(job.tenant, row.match_member_id)
        changes = import_changes(existing, row.values) if existing else None
        if existing is not None and action is RowStatus.UPDATE:  # not a manager's merge: the member's own edits stay
            changes = without_own_edits(existing, changes)
        if existing is None:
            row.outcome, row.errors = Outcome.FAILED, ["the matched member no longer exists"]
        elif changes is None:
            row.outcome, row.member_id = Outcome.UNCHANGED, existing.id
        else:
            existing.update_profile(changes, now)
            await uow.members.save(existing)
            row.outcome, row.member_id = Outcome.UPDATED, existing.id
    elif row.status is RowStatus.UNCHANGED:
        row.outcome, row.member_id = Outcome.UNCHANGED, row.match_member_id
    else:  # errors, skipped or undecided reviews
        row.outcome = Outcome.REJECTED if row.status is RowStatus.ERROR else Outcome.SKIPPED


async def get_import(query: GetImport, uow: MembersUnitOfWork) -> ImportJob:
    query.actor.require_staff("imports members")
    async with uow:
        return await _job(uow, query.tenant, query.job_id)


async def list_imports(query: ListImports, uow: MembersUnitOfWork) -> list[ImportJob]:
    query.actor.require_staff("imports members")
    async with uow:
        return await uow.import_jobs.list(query.tenant, query.limit)


async def import_rows(query: ImportRowsQuery, uow: MembersUnitOfWork) -> tuple[list[PlannedRow], int | None]:
    """A page of rows and the line to continue after (None: the last page)."""
    query.actor.require_staff("imports members")
    async with uow:
        job = await _job(uow, query.tenant, query.job_id)
        page = await uow.import_rows.page(job.tenant, job.id, query.status, query.after_line, query.limit + 1)
    more = len(page) > query.limit
    page = page[: query.limit]
    return page, (page[-1].line if more and page else None)


# The bus maps each message to its handler (`bootstrap`).
HANDLERS = (upload_import, validate_import, decide, commit_import, abandon_import, get_import, list_imports,
            import_rows)
