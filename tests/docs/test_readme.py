"""What the README promises the people using the platform, checked against the code."""

import re

from members_service.domain.profile import Visibility

from ..conftest import REPO


def test_readme_explains_every_visibility_value_in_french_and_english() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("| `visibility` value | FR | EN |", 1)[1].split("\n\n", 1)[0]
    rows = {m.group(1): (m.group(2).strip(), m.group(3).strip())
            for m in re.finditer(r"^\| `([a-z]+)` \|([^|]+)\|([^|]+)\|$", table, re.MULTILINE)}
    assert set(rows) == {v.value for v in Visibility}, "one row per value the API accepts, no other"
    assert all(fr and en for fr, en in rows.values())
    assert "personne" not in rows["hidden"][0].lower(), "hidden hides from alumni; the office still holds the data"
