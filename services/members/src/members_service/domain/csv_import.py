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
from datetime import date
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email

from members_service.domain.profile import name_key, normalize_email, search_key
from servicekit.csv_cells import is_formula_like, restore
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
    BIRTH_DATE = "birth_date"


# Older alumni often have no email: a row without one is imported all the same (a member who
# cannot be contacted, flagged `missing-email`), so email is not required.
REQUIRED = (ImportField.FIRST_NAME, ImportField.LAST_NAME, ImportField.PROGRAM, ImportField.GRADUATION_YEAR)
# Text that becomes names and cohort groups: a formula there is refused, not just flagged.
NO_FORMULA = (ImportField.FIRST_NAME, ImportField.LAST_NAME, ImportField.USAGE_NAME, ImportField.BIRTH_NAME,
              ImportField.PROGRAM, ImportField.GRADUATION_YEAR)

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
    ImportField.BIRTH_DATE: ("date de naissance", "ne le", "nee le", "ne(e) le", "naissance", "birth date",
                             "birthdate", "date of birth", "dob", "birth_date"),
}.items() for alias in aliases}

PHONE = re.compile(r"^\+?[0-9 ().-]{6,20}$")
# A graduating class as offices write it, once folded (lower case, no accents): "Promo 2012",
# "P2012", "Promotion 2012", "Class of 2012", "2012", or a school year "2011-2012" / "2011/12".
COHORT_YEAR = re.compile(
    r"^(?:(?:promotion|promo|classe de|classe|class of|class|annee|year|p)\s*[.:#n°-]?\s*)?"
    r"(?P<year>\d{4})(?:\s*[-/\u2010-\u2015]\s*(?P<end>\d{4}|\d{2}))?(?:\.0)?$")
FIRST_YEAR, LAST_YEAR = 1900, 2100
BIRTH_DATE = re.compile(r"^(?:(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))"
                        r"(?: 00:00(?::00)?)?$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_CELL = 200


class InvalidFile(DomainError):
    code = "invalid-file"
    title = "The file cannot be read"


class InvalidMapping(DomainError):
    code = "invalid-mapping"
    title = "Invalid column mapping"


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was read with — the one place a file is decoded, for the
    upload preview and for validation alike. A byte order mark decides (UTF-8 "CSV UTF-8",
    UTF-16 "Unicode text") and is never part of the text; else UTF-8 if it decodes, else
    Windows-1252 (French Excel's "CSV (séparateur : point-virgule)")."""
    if encoding is None:
        if data.startswith(UTF16_BOMS):
            encoding = "utf-16"
        else:
            try:
                return data.decode("utf-8-sig"), "utf-8"
            except UnicodeDecodeError:
                pass
            try:
                return data.decode("cp1252"), "windows-1252"
            except UnicodeDecodeError as exc:
                raise InvalidFile(f"neither UTF-8 nor Windows-1252 (byte {exc.start}): save the file as CSV "
                                  "UTF-8") from None
    codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16", "windows-1252": "cp1252"}.get(encoding, encoding)
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidFile(f"not valid {encoding}: {exc}") from None
    return text.removeprefix("\ufeff"), encoding


def _unreadable(line: int, exc: csv.Error) -> InvalidFile:
    """A `csv.Error` as the office can act on it (a business error, never a 500)."""
    if "field larger than field limit" in str(exc):
        where = "the header line" if line == 1 else f"line {line}"
        return InvalidFile(f"{where} holds a cell longer than {csv.field_size_limit() // 1024} KB: "
                           "is this a CSV file (one row per line)?")
    return InvalidFile(f"line {line}: not readable as CSV ({exc})")


def detect_delimiter(text: str) -> str:
    """`;`, `,` or tab: whichever splits the header line into the most columns."""
    header = text.split("\n", 1)[0]
    try:
        counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (";", ",", "\t")}
    except csv.Error as exc:
        raise _unreadable(1, exc) from None
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
        raise _unreadable(1, exc) from None
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
                raise _unreadable(line, exc) from None
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
    warnings: list[str] = field(default_factory=list)  # e.g. a cell a spreadsheet would run as a formula
    cells: list[str] = field(default_factory=list)  # as in the file: the rejected-rows CSV gives them back

    @property
    def email(self) -> str:
        """The row's email, or "" (rows without one are never matched by email)."""
        return str(self.values.get(ImportField.EMAIL, ""))

    @property
    def birth_date(self) -> str:
        return str(self.values.get(ImportField.BIRTH_DATE, ""))

    def identity_key(self) -> str:
        """Same person, probably: folded first + last name (`name_key`, as the directory) and the cohort."""
        return identity_key(str(self.values.get(ImportField.FIRST_NAME, "")),
                            str(self.values.get(ImportField.LAST_NAME, "")),
                            str(self.values.get(ImportField.PROGRAM, "")),
                            str(self.values.get(ImportField.GRADUATION_YEAR, "")))

    def file_identity_key(self) -> str:
        """Within one file: name and cohort, and the birth date when the file gives one (two
        namesakes of a class born on different days are two people)."""
        return self.identity_key() + (f"|{self.birth_date}" if self.birth_date else "")


def identity_key(first_name: str, last_name: str, program: str, year: int | str) -> str:
    return "|".join((name_key(first_name), name_key(last_name), program, str(year)))


def parse_birth_date(raw: str) -> date | None:
    """A birth date as French offices write it (14/03/1956, 14-03-1956, 14.03.1956) or ISO."""
    match = BIRTH_DATE.match(raw.strip())
    if match is None:
        return None
    try:
        if match["y"]:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        return date(int(match["iy"]), int(match["im"]), int(match["id"]))
    except ValueError:
        return None


def parse_graduation_year(raw: str) -> int | None:
    """The graduation year a cohort cell means, or None. For a school year ("2011-2012",
    "2011/12") it is the later year, the one the class graduated in."""
    match = COHORT_YEAR.match(search_key(raw))
    if match is None:
        return None
    year = int(match["year"])
    if (end := match["end"]) is not None:
        later = int(end) if len(end) == 4 else year - year % 100 + int(end)
        if later < year and len(end) == 2:
            later += 100  # "1999/00"
        if later != year + 1:
            return None  # not a school year
        year = later
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def check_row(line: int, cells: list[str], header: list[str], mapping: dict[str, ImportField],
              sectors: frozenset[str]) -> RowCheck:
    check = RowCheck(line, cells=list(cells))
    by_column = dict(zip(header, cells, strict=False))
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        check.errors.append(f"{len(cells)} cells for {len(header)} columns (a separator inside an unquoted cell?)")
    for column, f in mapping.items():
        cell = restore(by_column.get(column) or "")  # a cell the platform neutralised in a CSV it wrote
        raw = " ".join(cell.split())
        if is_formula_like(cell) or is_formula_like(raw):
            if f in NO_FORMULA and (cell[:1] in ("=", "@", "\t", "\r") or raw[:1] in ("=", "@")):
                check.errors.append(f"{f.value}: starts with {cell[:1]!r}, which a spreadsheet runs as a formula: "
                                    f"remove it ({raw!r})")
                continue
            if not (f is ImportField.PHONE and raw.startswith("+")):
                check.warnings.append(f"{column}: starts with {raw[:1] or cell[:1]!r}, which a spreadsheet runs "
                                      "as a formula: kept as text, and neutralised (') in every CSV written")
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
            year = parse_graduation_year(raw)
            if year is None:
                return raw, (f"a graduation year between {FIRST_YEAR} and {LAST_YEAR} (2012, Promo 2012, P2012, "
                             "2011-2012…)")
            return year, None
        case ImportField.PHONE:
            return (raw, None) if PHONE.match(raw) else (raw, "not a phone number")
        case ImportField.COUNTRY:
            code = raw.upper()
            return (code, None) if COUNTRY.match(code) else (raw, "a two-letter ISO code (FR, GB…)")
        case ImportField.LOCALE:
            code = raw.lower()[:2]
            return (code, None) if code in ("fr", "en") else (raw, "fr or en")
        case ImportField.SECTOR:
            # An empty list: read before the tenant's list is at hand (the upload's sample).
            return (raw, None) if raw in sectors or not sectors else (raw, "not in the tenant's sector list")
        case ImportField.BIRTH_DATE:
            born = parse_birth_date(raw)
            return (born.isoformat(), None) if born and born.year >= FIRST_YEAR else (raw, "a date (14/03/1956)")
        case ImportField.LINKEDIN_URL:
            return (raw, None) if raw.startswith(("https://", "http://")) else (raw, "a URL (https://…)")
        case _:  # names, program, city, employer…: the request contracts' rule for person text
            return person_text(raw)
