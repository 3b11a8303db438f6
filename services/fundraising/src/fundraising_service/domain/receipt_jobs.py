"""The yearly-summary job: issuing the summary receipts of one legal entity's year in the
background, batch after batch, with its progress (done / total) and a cursor that makes it
resumable after a crash (pure model, no I/O).

The job walks the donors' held gifts in a fixed order (member id, currency). Each batch is one
transaction that issues the batch's receipts, releases their held gifts *and* moves the job's
cursor and counters: whatever a crash interrupts is rolled back whole, so the worker that takes
the job over starts exactly after the last committed batch — no gap (the entity-year counter is
in the same transaction), no duplicate (the gifts were released with their receipt), and the
donors a batch skipped (left held) are not counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from servicekit.domain import Conflict

GroupKey = tuple[str, str]  # (member id, currency): one summary receipt each


class JobState(StrEnum):
    RUNNING = "running"
    DONE = "done"


class YearlyJobAlreadyRunning(Conflict):
    code = "yearly-receipts-running"
    title = "The yearly receipts of this entity and year are already being issued"


@dataclass
class YearlyReceiptJob:
    id: str
    tenant: str
    legal_entity_id: str
    year: int
    total: int
    started_at: datetime
    started_by: str
    state: JobState = JobState.RUNNING
    done: int = 0
    skipped: int = 0
    cursor: GroupKey | None = None
    finished_at: datetime | None = None
    resumed: int = 0
    last_token: str | None = field(default=None, repr=False)

    @property
    def active_key(self) -> str:
        """One running job per (entity, year): unique while running, freed when done."""
        base = f"{self.legal_entity_id}:{self.year}"
        return base if self.state is JobState.RUNNING else f"{base}#{self.id}"

    def remaining(self, groups: list[GroupKey]) -> list[GroupKey]:
        """The groups still to do, in the job's order: those after the cursor."""
        ordered = sorted(groups)
        return ordered if self.cursor is None else [g for g in ordered if g > self.cursor]

    def advance(self, last: GroupKey, issued: int, skipped: int) -> None:
        if self.cursor is not None and last <= self.cursor:
            raise ValueError(f"job cursor cannot move back from {self.cursor} to {last}")
        self.cursor = last
        self.done += issued
        self.skipped += skipped

    def worked_by(self, token: str | None) -> None:
        """A batch committed under this lease token; another token than the last one's means
        the job was taken over (its worker crashed or stopped)."""
        if token is not None and self.last_token is not None and token != self.last_token:
            self.resumed += 1
        self.last_token = token or self.last_token

    def finish(self, now: datetime) -> None:
        self.state = JobState.DONE
        self.finished_at = now
