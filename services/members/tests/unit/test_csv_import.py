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
    parse_graduation_year,
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


# -- issue 8: files as Excel writes them -------------------------------------------------------

def test_the_encoding_a_job_keeps_reads_the_file_as_the_upload_did() -> None:
    """Upload and validation decode alike: the BOM of "CSV UTF-8" is never part of a header."""
    data = b"\xef\xbb\xbf" + FRENCH_EXCEL.replace(";", ",").encode()
    text, encoding = decode(data)
    again, _ = decode(data, encoding)  # what validation does with the job's encoding
    assert again == text and rows(again, ",")[0][1] == "Nom"
    header, body = rows(again, ",")
    [(line, cells)] = list(body)
    check = check_row(line, cells, header, suggest_mapping(header), SECTORS)
    assert check.errors == [] and check.values["last_name"] == "Dupont"


def test_excel_unicode_text_is_utf16_with_tabs() -> None:
    data = FRENCH_EXCEL.replace(";", "\t").encode("utf-16")  # with its byte order mark
    text, encoding = decode(data)
    assert (text, encoding) == (FRENCH_EXCEL.replace(";", "\t"), "utf-16")
    assert detect_delimiter(text) == "\t"
    assert decode(data, "utf-16")[0] == text


@pytest.mark.parametrize(("cell", "year"), [
    ("2012", 2012), ("2012.0", 2012), ("Promo 2012", 2012), ("promo2012", 2012), ("PROMO  2012", 2012),
    ("P2012", 2012), ("p 2012", 2012), ("Promotion 2012", 2012), ("Class of 2012", 2012), ("class of 2012", 2012),
    ("Année 2012", 2012), ("Classe 2012", 2012), ("2011-2012", 2012), ("2011 - 2012", 2012), ("2011/2012", 2012),
    ("2011/12", 2012), ("Promo 2011-2012", 2012), ("2011–2012", 2012), ("1999/00", 2000), ("Promo 1978", 1978),
    ("Promo", None), ("20122", None), ("1850", None), ("2101", None), ("2011-2013", None), ("2012-2011", None),
    ("Promo 12", None), ("deux mille", None), ("", None), ("=1+2 2011", None), ("2012 Promo", None),
])
def test_cohorts_as_offices_write_them(cell: str, year: int | None) -> None:
    assert parse_graduation_year(cell) == year


def test_the_parsed_cohort_is_what_the_row_carries() -> None:
    header = ["prenom", "nom", "programme", "promotion"]
    check = check_row(2, ["Zoé", "Martin", "MSc", "Promo 2011-2012"], header, suggest_mapping(header), SECTORS)
    assert check.errors == [] and check.values["graduation_year"] == 2012
    bad = check_row(3, ["Zoé", "Martin", "MSc", "Promo"], header, suggest_mapping(header), SECTORS)
    assert bad.errors == ["graduation_year: a graduation year between 1900 and 2100 (2012, Promo 2012, P2012, "
                          "2011-2012…) ('Promo')"]


def test_formula_cells_are_refused_in_names_and_cohorts_and_flagged_elsewhere() -> None:
    header = ["prenom", "nom", "programme", "promotion", "ville", "telephone", "entreprise"]
    mapping = suggest_mapping(header)
    ok = check_row(2, ["Zoé", "Martin", "MSc", "2012", "=HYPERLINK(\"http://x\")", "+33 6 11 22 33 44", "-Airbus"],
                   header, mapping, SECTORS)
    assert ok.errors == [] and ok.values["phone"] == "+33 6 11 22 33 44", "a phone may start with +"
    assert [w.split(":")[0] for w in ok.warnings] == ["ville", "entreprise"]
    assert ok.values["city"] == "=HYPERLINK(\"http://x\")", "kept as text; neutralised when written"
    for program in ("=1+2", "@SUM(A1)", "\t=x", "\rx"):
        bad = check_row(3, ["Zoé", "Martin", program, "2011", "", "", ""], header, mapping, SECTORS)
        assert len(bad.errors) == 1 and bad.errors[0].startswith("program: starts with"), program
        assert "formula" in bad.errors[0]
    for name in ("=cmd|' /C calc'!A0", "@x"):
        bad = check_row(4, [name, "Martin", "MSc", "2011", "", "", ""], header, mapping, SECTORS)
        assert bad.errors[0].startswith("first_name: starts with")
    neutralised = check_row(5, ["Zoé", "Martin", "MSc", "2012", "", "'+33 6 11 22 33 44", ""], header, mapping,
                            SECTORS)
    assert neutralised.values["phone"] == "+33 6 11 22 33 44", "a cell the platform neutralised reads back"


def test_a_row_without_email_is_imported_and_never_matched_by_email() -> None:
    header = ["prenom", "nom", "courriel", "programme", "promotion", "date de naissance"]
    mapping = suggest_mapping(header)
    assert mapping["date de naissance"] is ImportField.BIRTH_DATE
    check_mapping(header, {k: v for k, v in mapping.items() if v is not ImportField.EMAIL})  # no email column
    row = check_row(2, ["Jean", "Ancien", "", "Grande École", "Promo 1968", "14/03/1946"], header, mapping, SECTORS)
    assert row.errors == [] and row.email == "" and row.values["birth_date"] == "1946-03-14"
    args = {"earlier_email_line": None, "earlier_identity_line": None, "by_email": None, "by_identity": None}
    assert classify(row, **args).status is RowStatus.NEW  # type: ignore[arg-type]
    member = new_member("demo", row.values, NOW)
    assert member.emails == () and member.email == "" and [f.value for f in member.hygiene] == ["missing-email"]
    assert member.birth_date is not None and member.birth_date.isoformat() == "1946-03-14"
    [registered] = [e for e, _ in member.pending_events()]
    assert registered.email is None  # type: ignore[attr-defined]

    same = classify(row, **{**args, "by_identity": member})  # type: ignore[arg-type]
    assert (same.status, same.match_member_id) == (RowStatus.UNCHANGED, member.id), "name, cohort and birth date"
    twin = check_row(3, ["Jean", "Ancien", "", "Grande École", "1968", "02/01/1947"], header, mapping, SECTORS)
    assert classify(twin, **{**args, "by_identity": member}).status is RowStatus.NEW  # type: ignore[arg-type]
    undated = check_row(4, ["Jean", "Ancien", "", "Grande École", "1968", "", "Brest"], [*header, "ville"],
                        {**mapping, "ville": ImportField.CITY}, SECTORS)
    review = classify(undated, **{**args, "by_identity": member})  # type: ignore[arg-type]
    assert review.status is RowStatus.REVIEW and "no email" in (review.reason or "")
    assert row.file_identity_key() != twin.file_identity_key() and row.identity_key() == twin.identity_key()
    bad = check_row(5, ["Jean", "Ancien", "", "Grande École", "1968", "31/02/1946"], header, mapping, SECTORS)
    assert bad.errors == ["birth_date: a date (14/03/1956) ('31/02/1946')"]


def test_members_without_an_email_are_published_in_v2_only() -> None:
    from alumni_contracts.members import v1, v2
    from members_service.service_layer.contract_mapping import to_contract

    values: dict[str, str | int] = {"first_name": "Jean", "last_name": "Ancien", "program": "MSc",
                                    "graduation_year": 1968}
    [(event, _)] = new_member("demo", values, NOW).pending_events()
    [only] = to_contract(event)  # type: ignore[misc]
    assert isinstance(only, v2.MemberRegistered) and only.email is None and only.origin == "import"
    [(event, _)] = new_member("demo", {**values, "email": "jean@example.org"}, NOW).pending_events()
    first, second = to_contract(event)  # type: ignore[misc]
    assert isinstance(first, v1.MemberRegistered) and isinstance(second, v2.MemberRegistered)


def test_the_same_row_without_email_again_is_unchanged_not_a_review() -> None:
    """Re-importing a register: a row without email or birth date, of the name and cohort of one
    member, whose every non-empty value is what is stored, asks nothing and writes nothing."""
    header = ["Prénom", "Nom", "Courriel", "Programme", "Promotion", "Ville", "Entreprise", "Poste", "Diplôme"]
    mapping = suggest_mapping(header)
    assert mapping["Poste"] is ImportField.JOB_TITLE and mapping["Diplôme"] is ImportField.DEGREE
    cells = ["Jean", "Ancien", "", "Grande École", "Promo 1968", "Brest", "Airbus", "Ingénieur", "Ingénieur"]
    row = check_row(2, cells, header, mapping, SECTORS)
    member = new_member("demo", row.values, NOW)
    args = {"earlier_email_line": None, "earlier_identity_line": None, "by_email": None}
    again = classify(row, **args, by_identity=member)  # type: ignore[arg-type]
    assert (again.status, again.match_member_id, again.reason) == (RowStatus.UNCHANGED, member.id, None)
    sparse = check_row(3, [*cells[:5], "", "", "", ""], header, mapping, SECTORS)  # empty cells leave things be
    assert classify(sparse, **args, by_identity=member).status is RowStatus.UNCHANGED  # type: ignore[arg-type]

    for i, other in ((5, "Lyon"), (7, "Directeur"), (8, "MBA")):  # any mapped value that differs: review
        changed = check_row(4, [*cells[:i], other, *cells[i + 1:]], header, mapping, SECTORS)
        review = classify(changed, **args, by_identity=member)  # type: ignore[arg-type]
        assert review.status is RowStatus.REVIEW, other
        assert review.reason == (f"same name and cohort as Jean Ancien, Grande École 1968 (no email; "
                                 f"member {member.id})"), "the manager sees who, not only an id"
    twins = classify(row, **args, by_identity=member, other_namesakes=1)  # type: ignore[arg-type]
    assert twins.status is RowStatus.REVIEW and "1 other member(s)" in (twins.reason or ""), "not one match: ask"


def test_a_header_line_longer_than_the_csv_field_limit_is_a_clear_invalid_file() -> None:
    import csv

    blob = "x" * (csv.field_size_limit() + 10)  # a 3 MB file with no newline, say
    with pytest.raises(InvalidFile, match="the header line holds a cell longer than 128 KB"):
        detect_delimiter(blob)
    with pytest.raises(InvalidFile, match="the header line holds a cell longer than 128 KB"):
        rows(blob, ";")
    _, body = rows(f"a;b\r\n1;2\r\n{blob};3\r\n", ";")
    with pytest.raises(InvalidFile, match="line 3 holds a cell longer than 128 KB"):
        list(body)


def test_an_import_update_over_the_members_own_edit_is_a_review_naming_the_fields() -> None:
    from members_service.domain.import_plan import own_edits, without_own_edits
    from members_service.domain.model import ProfileChanges

    member = new_member("demo", {**_row(2).values, "city": "Paris", "phone": "+33 1 00 00 00 01"}, NOW)  # type: ignore[attr-defined]
    member.update_profile(ProfileChanges(city="Lyon", phone="+33 1 00 00 00 01"), NOW, by_member=True)
    assert member.self_edited == {"city"}, "a field sent unchanged is not an edit"
    args = {"earlier_email_line": None, "earlier_identity_line": None, "by_identity": None}
    old = classify(_row(2, city="Paris"), **args, by_email=member)  # type: ignore[arg-type]
    assert (old.status, old.match_member_id) == (RowStatus.REVIEW, member.id)
    assert old.reason == "Zoé Martin edited their own city themselves: merge writes the file's values over " \
                         "theirs, skip keeps theirs"
    assert classify(_row(2, phone="+33 2"), **args, by_email=member).status is RowStatus.UPDATE  # type: ignore[arg-type]
    both = import_changes(member, {"city": "Paris", "phone": "+33 2"})
    assert own_edits(member, both) == ["city"]
    kept = without_own_edits(member, both)
    assert kept is not None and (kept.city, kept.phone) == (None, "+33 2")
    assert without_own_edits(member, import_changes(member, {"city": "Paris"})) is None

    member.update_profile(ProfileChanges(city="Paris"), NOW)  # the office (or a merge) changed it back
    assert member.self_edited == frozenset()
    assert classify(_row(2, city="Lyon"), **args, by_email=member).status is RowStatus.UPDATE  # type: ignore[arg-type]
