"""Every CSV the platform writes goes through here, so that no cell runs as a formula.

A spreadsheet treats a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (CSV injection: `=HYPERLINK(…)`, `=cmd|…`). OWASP's advice, followed here: prefix such a
cell with a single quote, which makes it text. Reading a file back (an office fixing the rejected
rows in Excel and importing them again) undoes exactly that prefix (`restore`), so a phone number
`+33 6…` survives the round trip.

Files are written the way French Excel opens them without a wizard: UTF-8 with a byte order
mark, `;` separated, CRLF line ends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def is_formula_like(cell: str) -> bool:
    """Whether a spreadsheet would read this cell as a formula."""
    return cell.startswith(FORMULA_TRIGGERS)


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet will not run: `'` before a formula trigger."""
    return "'" + cell if is_formula_like(cell) else cell


def restore(cell: str) -> str:
    """Undo `neutralise` on a cell read back from a file the platform wrote."""
    return cell[1:] if cell.startswith("'") and is_formula_like(cell[1:]) else cell


def csv_lines(rows: Iterable[Sequence[str]], delimiter: str = ";", bom: bool = True) -> Iterator[str]:
    """The text of a CSV file, one record at a time (for streaming), every cell neutralised;
    the first chunk starts with the byte order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    prefix = BOM if bom else ""
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
        yield prefix + buffer.getvalue()
        prefix = ""
        buffer.seek(0)
        buffer.truncate()
    if prefix:
        yield prefix


def csv_text(rows: Iterable[Sequence[str]], delimiter: str = ";", bom: bool = True) -> str:
    return "".join(csv_lines(rows, delimiter, bom))
