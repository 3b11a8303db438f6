"""The console's script, read as text: two top-level declarations of one name silently keep the
last (a merge gave the staff and the alumnus certificate downloads one name, and the staff
button fetched the alumnus route)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import gateway_service

SCRIPT = Path(gateway_service.__file__).parent / "static" / "console.js"


def test_every_top_level_function_and_constant_is_declared_once() -> None:
    names = re.findall(r"^(?:async\s+)?function\s+([A-Za-z_$][\w$]*)|^(?:const|let|var)\s+([A-Za-z_$][\w$]*)",
                       SCRIPT.read_text(encoding="utf-8"), flags=re.M)
    declared = Counter(a or b for a, b in names)
    assert declared and [name for name, n in declared.items() if n > 1] == []
