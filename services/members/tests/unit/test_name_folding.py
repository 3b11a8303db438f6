"""One folding rule for names, on both sides (stored keys and queries), in the directory and in
duplicate detection: ligatures and special letters, accents, case, apostrophes, hyphens, spaces."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from members_service.domain.csv_import import ImportField, check_row
from members_service.domain.directory import DirectoryCriteria, Viewer, matches, name_keys
from members_service.domain.model import Member
from members_service.domain.profile import Cohort, name_key, name_parts, search_key

NOW = datetime(2026, 11, 26, tzinfo=UTC)
STAFF = Viewer(None, staff=True)


@pytest.mark.parametrize(("text", "folded"), [
    ("Œuvray", "oeuvray"), ("œuvray", "oeuvray"), ("OEUVRAY", "oeuvray"), ("Œ", "oe"),
    ("Lætitia", "laetitia"), ("LÆTITIA", "laetitia"),
    ("Straße", "strasse"), ("STRASSE", "strasse"), ("Strasse", "strasse"), ("STRAẞE", "strasse"),
    ("Søren", "soren"), ("SØREN", "soren"),
    ("Đorđević", "dordevic"), ("ĐORĐEVIĆ", "dordevic"),
    ("Łukasz", "lukasz"), ("Łódź", "lodz"),
    ("Kırıkkale", "kirikkale"), ("İstanbul", "istanbul"),
    ("Þórunn", "thorunn"),
    ("Béatrice", "beatrice"), ("ÉLODIE", "elodie"), ("Müller", "muller"), ("Ōtsuka", "otsuka"),
    ("Zoe\u0308", "zoe"),                       # decomposed accents too
    ("ﬁnance", "finance"),                      # compatibility ligature
    ("Ali\u200b", "ali"),                       # invisible format characters dropped
    ("  Le   Goff ", "le goff"),
    ("O’Brien", "o'brien"), ("Oʼbrien", "o'brien"), ("O‘Brien", "o'brien"),
    ("Jean‐Pierre", "jean-pierre"), ("Jean–Pierre", "jean-pierre"), ("Jean‑Pierre", "jean-pierre"),
    ("Nom d’usage", "nom d'usage"),              # a curly apostrophe in a spreadsheet header
])
def test_search_key_folds_ligatures_letters_accents_and_punctuation(text: str, folded: str) -> None:
    assert search_key(text) == folded


@pytest.mark.parametrize(("variants", "key"), [
    (["Œuvray", "œuvray", "OEUVRAY", "oeuvray", "Oeuvray"], "oeuvray"),
    (["O'Brien", "O’Brien", "Oʼbrien", "obrien", "o brien", "O-Brien"], "obrien"),
    (["Jean-Pierre", "Jean‐Pierre", "Jean–Pierre", "jean pierre", "jeanpierre", "JEAN PIERRE"], "jeanpierre"),
    (["N'Diaye", "N’Diaye", "ndiaye", "N Diaye"], "ndiaye"),
    (["Le Goff", "Le-Goff", "legoff"], "legoff"),
    (["Saint-Exupéry", "saint exupery", "SAINTEXUPERY"], "saintexupery"),
])
def test_name_key_ignores_apostrophes_hyphens_and_spaces(variants: list[str], key: str) -> None:
    assert {name_key(v) for v in variants} == {key}


def test_name_parts_are_the_words_of_a_compound_name() -> None:
    assert name_parts("Jean-Pierre") == ["jean", "pierre"]
    assert name_parts("O’Brien") == ["o", "brien"]
    assert name_parts("Le Goff") == ["le", "goff"]
    assert name_parts("Œuvray") == ["oeuvray"]


def member(first: str, last: str) -> Member:
    return Member.register(tenant="demo", first_name=first, last_name=last, email="x@example.org", locale="fr",
                           cohort=Cohort("MSc", 2012), now=NOW)


@pytest.mark.parametrize(("first", "last", "queries"), [
    ("Anne", "Œuvray", ["oeuvray", "œuvray", "OEUVRAY", "Œuv", "oeu", "oe"]),
    ("Sean", "O'Brien", ["obrien", "o'brien", "o’brien", "O'B", "ob", "brien"]),
    ("Jean-Pierre", "Martin", ["jean pierre", "jeanpierre", "jean-pierre", "jean‐pierre", "jean p", "pierre"]),
    ("Awa", "N’Diaye", ["ndiaye", "n'diaye", "n diaye", "nd", "diaye"]),
    ("Søren", "Kierkegaard", ["soren", "søren", "SØREN"]),
])
def test_directory_matches_every_spelling_of_a_name(first: str, last: str, queries: list[str]) -> None:
    m = member(first, last)
    for q in queries:
        assert matches(m, DirectoryCriteria(name_prefix=q), STAFF), q


def test_directory_name_keys_and_short_prefixes() -> None:
    m = member("Jean-Pierre", "O'Brien")
    assert name_keys(m) == {"jeanpierre", "jean", "pierre", "obrien", "o", "brien"}
    assert not matches(m, DirectoryCriteria(name_prefix="je"), STAFF), "one or two letters: last names only"
    assert matches(m, DirectoryCriteria(name_prefix="o'"), STAFF)


def test_duplicate_detection_uses_the_same_rule() -> None:
    header = ["first", "last", "mail", "prog", "year"]
    mapping = dict(zip(header, [ImportField.FIRST_NAME, ImportField.LAST_NAME, ImportField.EMAIL,
                                ImportField.PROGRAM, ImportField.GRADUATION_YEAR], strict=True))

    def identity(first: str, last: str, program: str = "MSc Finance") -> str:
        return check_row(2, [first, last, "a@example.org", program, "2012"], header, mapping, frozenset()).identity_key()

    assert identity("Anne", "Œuvray") == identity("ANNE", "Oeuvray") == identity("anne", "OEUVRAY")
    assert identity("Sean", "O'Brien") == identity("Sean", "O’Brien") == identity("Sean", "OBrien")
    assert identity("Jean-Pierre", "Martin") == identity("Jean Pierre", "Martin")
    assert identity("Anne", "Œuvray") != identity("Anne", "Œuvray", "MBA"), "another cohort: another person"


def test_imported_names_follow_the_request_rule() -> None:
    header = ["first", "last", "mail", "prog", "year", "city"]
    mapping = dict(zip(header, [ImportField.FIRST_NAME, ImportField.LAST_NAME, ImportField.EMAIL,
                                ImportField.PROGRAM, ImportField.GRADUATION_YEAR, ImportField.CITY], strict=True))
    bad = check_row(2, ["Zo\x00é", "\u202eMartin", "a@example.org", "\u200b", "2012", "Lyon\u2066"], header, mapping,
                    frozenset())
    assert [e.split(":")[0] for e in bad.errors] == ["first_name", "last_name", "program", "city"]
    assert "control characters" in bad.errors[0] and "bidirectional" in bad.errors[1]
    assert "visible characters" in bad.errors[2]
    ok = check_row(3, ["Zoe\u0308", "N'Diaye", "a@example.org", "MSc", "2012", "Ōtsuka"], header, mapping, frozenset())
    assert ok.errors == [] and ok.values["first_name"] == "Zoë" and ok.values["city"] == "Ōtsuka"
