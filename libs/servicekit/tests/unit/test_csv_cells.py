"""CSV injection: every cell the platform writes is text, and reads back as it was."""

from __future__ import annotations

import csv
import io

import pytest

from servicekit.csv_cells import csv_lines, csv_text, is_formula_like, neutralise, restore


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+2", "'=1+2"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+33 6 11 22 33 44", "'+33 6 11 22 33 44"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("Dupont", "Dupont"),
    ("", ""),
    ("a=b", "a=b"),
    ("'quoted", "'quoted"),
])
def test_formula_cells_are_neutralised_and_restored(cell: str, written: str) -> None:
    assert neutralise(cell) == written
    assert restore(written) == cell
    assert is_formula_like(cell) is (written != cell)


def test_a_file_for_french_excel_bom_semicolon_crlf_every_cell_neutralised() -> None:
    text = csv_text([["Nom", "Téléphone", "Erreur"], ["=1+2", "+33 6", "a; b \"c\""]])
    assert text.startswith("\ufeffNom;Téléphone;Erreur\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert rows == [["Nom", "Téléphone", "Erreur"], ["'=1+2", "'+33 6", "a; b \"c\""]]
    assert [restore(c) for c in rows[1]] == ["=1+2", "+33 6", "a; b \"c\""]
    chunks = list(csv_lines([["a"], ["b"]]))
    assert chunks == ["\ufeffa\r\n", "b\r\n"], "streamed one record at a time, the BOM first"
    assert csv_text([]) == "\ufeff"
