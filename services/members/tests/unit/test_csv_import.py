"""Reading office spreadsheets: encodings, separators, mapping, row checks, classification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from members_service.domain.csv_import import (
    ImportField,
    InvalidFile,
    InvalidMapping,
    check_mapping,
    check_row,
    decode,
    detect_delimiter,
    rows,
    suggest_mapping,
)
from members_service.domain.import_plan import RowStatus, classify, import_changes, new_member
from members_service.domain.profile import Cohort

SECTORS = frozenset({"aerospace", "banking"})
NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
FRENCH_EXCEL = ("Prénom;Nom;Courriel;Programme;Promotion;Ville;Entreprise;Secteur\r\n"
                "Béatrice;Dupont;beatrice@example.org;MSc Finance;2012;Lyon;Airbus;aerospace\r\n")


def test_windows_1252_and_utf8_with_bom_are_read() -> None:
    assert decode(FRENCH_EXCEL.encode("cp1252")) == (FRENCH_EXCEL, "windows-1252")
    assert decode(b"\xef\xbb\xbf" + FRENCH_EXCEL.encode()) == (FRENCH_EXCEL, "utf-8")
    with pytest.raises(InvalidFile, match="not valid utf-8"):
        decode(FRENCH_EXCEL.encode("cp1252"), "utf-8")


def test_separator_and_french_headers_are_recognised() -> None:
    assert detect_delimiter(FRENCH_EXCEL) == ";"
    assert detect_delimiter("first name,last name,email\n") == ","
    header, _ = rows(FRENCH_EXCEL, ";")
    assert suggest_mapping(header) == {
        "Prénom": ImportField.FIRST_NAME, "Nom": ImportField.LAST_NAME, "Courriel": ImportField.EMAIL,
        "Programme": ImportField.PROGRAM, "Promotion": ImportField.GRADUATION_YEAR, "Ville": ImportField.CITY,
        "Entreprise": ImportField.EMPLOYER, "Secteur": ImportField.SECTOR}
    with pytest.raises(InvalidFile, match="only one column"):
        rows("a|b|c\n1|2|3\n", ",")


def test_line_numbers_are_the_spreadsheet_lines_even_with_multiline_cells_and_blank_lines() -> None:
    text = ('prenom,nom,email,programme,promotion\n'
            'Ana,"Multi\nLine",ana@example.org,MSc,2010\n'
            '\n'
            'Bob,Martin,not-an-email,MSc,20x0\n')
    header, body = rows(text, ",")
    mapping = suggest_mapping(header)
    checks = [check_row(line, cells, header, mapping, SECTORS) for line, cells in body]
    assert [c.line for c in checks] == [2, 5]
    assert checks[0].errors == [] and checks[0].values["last_name"] == "Multi Line"
    assert len(checks[1].errors) == 2 and all("'" in e for e in checks[1].errors)
    assert any(e.startswith("email:") for e in checks[1].errors)
    assert any(e.startswith("graduation_year:") for e in checks[1].errors)


def test_row_values_are_normalised_and_checked() -> None:
    header = ["first", "last", "mail", "prog", "year", "country", "sector", "lang", "phone"]
    mapping = dict(zip(header, [ImportField.FIRST_NAME, ImportField.LAST_NAME, ImportField.EMAIL, ImportField.PROGRAM,
                                ImportField.GRADUATION_YEAR, ImportField.COUNTRY, ImportField.SECTOR,
                                ImportField.LOCALE, ImportField.PHONE], strict=True))
    ok = check_row(2, [" Zoé ", "Martin", "Zoe@Example.ORG", "MSc", "2012.0", "fr", "banking", "English", "06 12"],
                   header, mapping, SECTORS)
    assert ok.errors == ["phone: not a phone number ('06 12')"]
    assert ok.values["email"] == "zoe@example.org" and ok.values["graduation_year"] == 2012
    assert ok.values["country"] == "FR" and ok.values["locale"] == "en" and ok.values["first_name"] == "Zoé"
    bad = check_row(3, ["", "Martin", "z@example.org", "MSc", "2012", "France", "mining", "", ""], header, mapping,
                    SECTORS)
    assert [e.split(":")[0] for e in bad.errors] == ["first_name", "country", "sector"]


def test_mapping_must_cover_required_fields_once() -> None:
    header = ["a", "b", "c", "d", "e"]
    with pytest.raises(InvalidMapping, match="program, graduation_year"):
        check_mapping(header, {"a": ImportField.FIRST_NAME, "b": ImportField.LAST_NAME, "c": ImportField.EMAIL})
    with pytest.raises(InvalidMapping, match="several columns: email"):
        check_mapping(header, {"a": ImportField.EMAIL, "b": ImportField.EMAIL})
    with pytest.raises(InvalidMapping, match="not columns of the file: zz"):
        check_mapping(header, {"zz": ImportField.EMAIL})


def _row(line: int, **values: str | int) -> object:
    from members_service.domain.csv_import import RowCheck

    base: dict[str, str | int] = {"first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.org",
                                  "program": "MSc", "graduation_year": 2012}
    return RowCheck(line, {**base, **values})


def test_classification_new_update_unchanged_review_error() -> None:
    member = new_member("demo", _row(2).values, NOW)  # type: ignore[attr-defined]
    assert member.cohort == Cohort("MSc", 2012) and member.version == 1

    def classify_(check: object, **kw: object) -> RowStatus:
        args = {"earlier_email_line": None, "earlier_identity_line": None, "by_email": None, "by_identity": None}
        return classify(check, **{**args, **kw}).status  # type: ignore[arg-type]

    assert classify_(_row(2)) is RowStatus.NEW
    assert classify_(_row(2), by_email=member) is RowStatus.UNCHANGED, "the same data again changes nothing"
    assert classify_(_row(2, city="Lyon"), by_email=member) is RowStatus.UPDATE
    assert classify_(_row(2, email="other@example.org"), by_identity=member) is RowStatus.REVIEW
    assert classify_(_row(3), earlier_identity_line=2) is RowStatus.REVIEW
    assert classify_(_row(3), earlier_email_line=2) is RowStatus.ERROR


def test_import_changes_fill_and_add_but_never_erase() -> None:
    member = new_member("demo", {**_row(2).values, "employer": "Airbus", "job_title": "CFO"}, NOW)  # type: ignore[attr-defined]
    assert import_changes(member, {"first_name": "Zoé", "employer": "AIRBUS"}) is None, "same employer, any case"
    changes = import_changes(member, {"program": "MBA", "graduation_year": 2020, "employer": "Thales",
                                      "email": "zoe.pro@example.org"})
    assert changes is not None and changes.education is not None and len(changes.education) == 2
    assert changes.career is not None and [p.employer for p in changes.career] == ["Airbus", "Thales"]
    assert changes.emails is not None and [e.primary for e in changes.emails] == [True, False]
