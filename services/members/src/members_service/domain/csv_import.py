"""Reading the spreadsheets alumni offices hand over: pure rules, no I/O.

Files come from Excel: UTF-8 (with or without BOM) or Windows-1252, `;` (French Excel) or `,`
separated, headers in French or English. This module decodes, splits, maps columns to fields,
and checks each row, keeping the physical line number so that errors point at the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email

from members_service.domain.profile import name_key, normalize_email, search_key
from servicekit.domain import DomainError
from servicekit.text import person_text


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


REQUIRED = (ImportField.FIRST_NAME, ImportField.LAST_NAME, ImportField.EMAIL, ImportField.PROGRAM,
            ImportField.GRADUATION_YEAR)

# Folded header → field: what offices actually write in their exports, in French and English.
HEADER_ALIASES: dict[str, ImportField] = {alias: f for f, aliases in {
    ImportField.FIRST_NAME: ("prenom", "first name", "firstname", "first_name", "given name"),
    ImportField.LAST_NAME: ("nom", "last name", "lastname", "last_name", "nom de famille", "surname", "family name"),
    ImportField.EMAIL: ("email", "e-mail", "courriel", "mail", "adresse email", "adresse e-mail", "email address"),
    ImportField.PROGRAM: ("programme", "program", "programme suivi", "formation", "filiere", "cursus"),
    ImportField.GRADUATION_YEAR: ("promotion", "promo", "annee de promotion", "annee de diplome", "graduation year",
                                  "class", "class of", "annee", "year", "graduation_year"),
    ImportField.USAGE_NAME: ("nom d'usage", "nom d usage", "usage name", "usage_name", "nom marital"),
    ImportField.BIRTH_NAME: ("nom de naissance", "birth name", "birth_name", "nom de jeune fille", "maiden name"),
    ImportField.PHONE: ("telephone", "tel", "tel.", "phone", "mobile", "portable", "telephone portable"),
    ImportField.LOCALE: ("langue", "language", "locale"),
    ImportField.CITY: ("ville", "city"),
    ImportField.COUNTRY: ("pays", "country", "code pays", "country code"),
    ImportField.EMPLOYER: ("entreprise", "employeur", "employer", "company", "societe", "organisation"),
    ImportField.JOB_TITLE: ("poste", "fonction", "job title", "job_title", "title", "intitule du poste"),
    ImportField.SECTOR: ("secteur", "sector", "secteur d'activite", "industry"),
    ImportField.LINKEDIN_URL: ("linkedin", "profil linkedin", "linkedin url", "linkedin_url"),
    ImportField.DEGREE: ("diplome", "degree"),
    ImportField.CAMPUS: ("campus", "site"),
}.items() for alias in aliases}

PHONE = re.compile(r"^\+?[0-9 ().-]{6,20}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_CELL = 200


class InvalidFile(DomainError):
    code = "invalid-file"
    title = "The file cannot be read"


class InvalidMapping(DomainError):
    code = "invalid-mapping"
    title = "Invalid column mapping"


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 if it decodes, else Windows-1252
    (what French Excel writes as "CSV (séparateur : point-virgule)")."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidFile(f"not valid {encoding}: {exc}") from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise InvalidFile(f"neither UTF-8 nor Windows-1252 (byte {exc.start}): save the file as CSV UTF-8") from None


def detect_delimiter(text: str) -> str:
    """`;`, `,` or tab: whichever splits the header line into the most columns."""
    header = text.split("\n", 1)[0]
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def rows(text: str, delimiter: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and an iterator of (line number of the row's first line, cells); blank
    lines are skipped. Line numbers are the spreadsheet's (the header is line 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidFile("the file is empty") from None
    except csv.Error as exc:
        raise InvalidFile(f"line 1: {exc}") from None
    if len(header) < 2:
        raise InvalidFile("only one column: is the separator `;` or `,`?")

    def body() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InvalidFile(f"line {line}: {exc}") from None
            if any(c.strip() for c in cells):
                yield line, cells
            line = reader.line_num + 1

    return header, body()


def suggest_mapping(header: list[str]) -> dict[str, ImportField]:
    """Column → field, for the headers recognised (each field once, first column wins)."""
    mapping: dict[str, ImportField] = {}
    for column in header:
        f = HEADER_ALIASES.get(search_key(column).replace("_", " ").strip(" :"))
        if f is None:
            f = HEADER_ALIASES.get(search_key(column).strip(" :"))
        if f is not None and f not in mapping.values() and column not in mapping:
            mapping[column] = f
    return mapping


def check_mapping(header: list[str], mapping: dict[str, ImportField]) -> None:
    unknown = sorted(set(mapping) - set(header))
    if unknown:
        raise InvalidMapping(f"not columns of the file: {', '.join(unknown)}")
    fields = list(mapping.values())
    twice = sorted({f.value for f in fields if fields.count(f) > 1})
    if twice:
        raise InvalidMapping(f"mapped from several columns: {', '.join(twice)}")
    missing = [f.value for f in REQUIRED if f not in fields]
    if missing:
        raise InvalidMapping(f"required fields without a column: {', '.join(missing)}")


@dataclass
class RowCheck:
    """One row read against the mapping: normalised values, and what is wrong with it."""

    line: int
    values: dict[str, str | int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def email(self) -> str:
        return str(self.values.get(ImportField.EMAIL, ""))

    def identity_key(self) -> str:
        """Same person, probably: folded first + last name (`name_key`, as the directory) and the cohort."""
        return "|".join((name_key(str(self.values.get(ImportField.FIRST_NAME, ""))),
                         name_key(str(self.values.get(ImportField.LAST_NAME, ""))),
                         str(self.values.get(ImportField.PROGRAM, "")),
                         str(self.values.get(ImportField.GRADUATION_YEAR, ""))))


def check_row(line: int, cells: list[str], header: list[str], mapping: dict[str, ImportField],
              sectors: frozenset[str]) -> RowCheck:
    check = RowCheck(line)
    by_column = dict(zip(header, cells, strict=False))
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        check.errors.append(f"{len(cells)} cells for {len(header)} columns (a separator inside an unquoted cell?)")
    for column, f in mapping.items():
        raw = " ".join((by_column.get(column) or "").split())
        if not raw:
            if f in REQUIRED:
                check.errors.append(f"{f.value}: required ({column!r} is empty)")
            continue
        if len(raw) > MAX_CELL:
            check.errors.append(f"{f.value}: longer than {MAX_CELL} characters")
            continue
        value, error = _normalise(f, raw, sectors)
        if error:
            check.errors.append(f"{f.value}: {error} ({raw!r})")
        else:
            check.values[f.value] = value
    return check


def _normalise(f: ImportField, raw: str, sectors: frozenset[str]) -> tuple[str | int, str | None]:
    match f:
        case ImportField.EMAIL:
            try:
                return normalize_email(validate_email(raw, check_deliverability=False).normalized), None
            except EmailNotValidError as exc:
                return raw, str(exc)
        case ImportField.GRADUATION_YEAR:
            year = raw.removesuffix(".0")
            if not year.isdigit() or not 1900 <= int(year) <= 2100:
                return raw, "a year between 1900 and 2100"
            return int(year), None
        case ImportField.PHONE:
            return (raw, None) if PHONE.match(raw) else (raw, "not a phone number")
        case ImportField.COUNTRY:
            code = raw.upper()
            return (code, None) if COUNTRY.match(code) else (raw, "a two-letter ISO code (FR, GB…)")
        case ImportField.LOCALE:
            code = raw.lower()[:2]
            return (code, None) if code in ("fr", "en") else (raw, "fr or en")
        case ImportField.SECTOR:
            return (raw, None) if raw in sectors else (raw, "not in the tenant's sector list")
        case ImportField.LINKEDIN_URL:
            return (raw, None) if raw.startswith(("https://", "http://")) else (raw, "a URL (https://…)")
        case _:  # names, program, city, employer…: the request contracts' rule for person text
            return person_text(raw)
