"""CSV imports: upload, map, validate (dry run), decide, commit."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Identifier
from alumni_contracts.text import PersonText

CREATE_IMPORT = "create_import"
GET_IMPORT = "get_import"
LIST_IMPORTS = "list_imports"
VALIDATE_IMPORT = "validate_import"
IMPORT_ROWS = "import_rows"
DECIDE_IMPORT_ROW = "decide_import_row"
COMMIT_IMPORT = "commit_import"
ABANDON_IMPORT = "abandon_import"


class ImportField(StrEnum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    PROGRAM = "program"
    GRADUATION_YEAR = "graduation_year"
    USAGE_NAME = "usage_name"
    BIRTH_NAME = "birth_name"
    PHONE = "phone"
    LOCALE = "locale"
    CITY = "city"
    COUNTRY = "country"
    EMPLOYER = "employer"
    JOB_TITLE = "job_title"
    SECTOR = "sector"
    LINKEDIN_URL = "linkedin_url"
    DEGREE = "degree"
    CAMPUS = "campus"
    BIRTH_DATE = "birth_date"


class ImportRowStatus(StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REVIEW = "review"
    ERROR = "error"


class ImportDecision(StrEnum):
    CREATE = "create"
    MERGE = "merge"
    SKIP = "skip"


Encoding = Literal["utf-8", "windows-1252", "utf-16"]
Delimiter = Literal[";", ",", "\t"]
ImportId = Identifier


class CreateImport(Request):
    """Sent by the gateway once the uploaded file is in the object store."""

    import_id: ImportId
    object_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,200}$")]
    filename: Annotated[str, PersonText(max_length=200)]
    size: int = Field(ge=0)
    encoding: Encoding | None = Field(None, description="Detected when absent: a byte order mark (UTF-8, UTF-16), "
                                                        "else UTF-8 if it decodes, else Windows-1252.")
    delimiter: Delimiter | None = Field(None, description="Detected from the header when absent.")


class GetImport(Request):
    import_id: ImportId


class ListImports(Request):
    limit: int = Field(20, ge=1, le=100)


class ColumnMapping(Request):
    mapping: dict[Annotated[str, StringConstraints(min_length=1, max_length=200)], ImportField] | None = Field(
        None, description="Column header → field; absent: the suggested mapping. Unmapped columns are ignored.",
        examples=[{"Prénom": "first_name", "Nom": "last_name", "Courriel": "email", "Programme": "program",
                   "Promotion": "graduation_year"}])


class ValidateImport(ColumnMapping):
    import_id: ImportId


class ImportRowsQuery(Request):
    import_id: ImportId
    status: ImportRowStatus | None = None
    after_line: int = Field(0, ge=0, description="Cursor: the last line of the previous page.")
    limit: int = Field(100, ge=1, le=500)


class DecisionBody(Request):
    decision: ImportDecision = Field(description="create: another person; merge: the matched member; skip.")


class DecideImportRow(DecisionBody):
    import_id: ImportId
    line: int = Field(ge=2)


class CommitBody(Request):
    undecided: Literal["refuse", "skip"] = Field(
        "refuse", description="Rows still to review: refuse to commit (default), or skip them.")


class CommitImport(CommitBody):
    import_id: ImportId


class AbandonImport(Request):
    import_id: ImportId


class SampleRow(Result):
    line: int
    cells: list[str]
    values: dict[str, str | int] = Field(
        default_factory=dict, description="The row read with the suggested mapping: what would be imported "
                                          "(e.g. `graduation_year` 2012 for the cell `Promo 2012`).")
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="E.g. a cell a spreadsheet runs as a formula.")


class ImportView(Result):
    import_id: ImportId
    filename: str
    state: str = Field(description="uploaded → validating → validated → committing → completed (or failed).")
    encoding: str
    delimiter: str
    columns: list[str]
    mapping: dict[str, ImportField] = Field(description="Current (or suggested) column mapping.")
    required_fields: list[ImportField]
    total: int = Field(description="Data rows in the file.")
    done: int = Field(description="Rows validated (validating) or committed (committing) so far.")
    progress_percent: float
    counts: dict[str, int] = Field(description="Rows by status after validation (the dry-run report), "
                                               "decisions taken, and outcomes once committed.")
    created_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    failure: str | None = None
    failures: list[str] = Field(default_factory=list, description="Rows not imported, by line, with the reason "
                                                                  "(the first 200; all of them in `rejected_csv`).")
    rejected: int = Field(0, description="Rows not imported: with errors (preview), or failed at commit.")
    rejected_csv: str | None = Field(None, description="Where to download the rejected rows (the file's columns "
                                                       "plus an error column, UTF-8 with BOM, `;`), to fix and "
                                                       "import again.")
    report_expires_at: AwareDatetime | None = Field(
        None, description="When the import, its report and its rejected rows are deleted (bounded retention).")
    sample: list[SampleRow] | None = Field(None, description="First rows, right after the upload.")


class ImportList(Result):
    items: list[ImportView]


class ImportRowOut(Result):
    line: int = Field(description="Line in the file (the header is line 1).")
    status: ImportRowStatus
    values: dict[str, str | int] = Field(description="What was understood, by field (e.g. `graduation_year`).")
    errors: list[str]
    warnings: list[str] = Field(default_factory=list, description="E.g. a cell a spreadsheet runs as a formula.")
    cells: list[str] = Field(default_factory=list, description="The row as in the file, in its column order.")
    reason: str | None = None
    match_member_id: str | None = None
    decision: ImportDecision | None = None


class ImportRowsPage(Result):
    items: list[ImportRowOut]
    next_after_line: int | None = None
