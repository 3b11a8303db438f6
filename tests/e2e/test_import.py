"""CSV import through the gateway and the `alumni-import` CLI, on the running platform."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from alumni_local import import_cli
from alumni_local.runner import Platform

pytestmark = pytest.mark.e2e
CSV = ("Prénom;Nom;Courriel;Programme;Promotion;Ville;Téléphone;N° adh.;$notes\r\n"
       "Amélie;Importée;amelie.importee@example.org;MSc Data Science;2018;Nantes;+33 6 11 22 33 44;12;\r\n"
       "Bruno;Importé;bruno.importe@example.org;MSc Data Science;2018;Lille;;13;x\r\n"
       "Chloé;Sans-Promo;chloe.importee@example.org;MSc Data Science;deux mille;;;;\r\n"
       "Amélie;Importée;amelie.bis@example.org;MSc Data Science;2018;;;;\r\n")  # columns with "." and "$" are ignored


def manager(platform: Platform) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.issue_token('manager')}"}


def test_cli_previews_stops_for_review_then_commits_and_a_reimport_changes_nothing(
        platform: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "export-excel.csv"
    file.write_bytes(CSV.encode("cp1252"))
    token = platform.issue_token("manager")
    base = ["--gateway", platform.gateway_url, "--token", token]

    assert import_cli.main([str(file), *base, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "windows-1252, separator ';'" in out and "'Courriel'" in out and "→ email" in out
    assert "Dry run: 2 new, 0 update, 0 unchanged, 1 review, 1 error" in out
    assert "line 4: graduation_year: a year between 1900 and 2100 ('deux mille')" in out
    assert "line 5: same name and cohort as line 2" in out
    assert "nothing was written" in out

    assert import_cli.main([str(file), *base]) == 2, "a row to review stops the import"
    out = capsys.readouterr().out
    import_id = out.split("Import ", 1)[1].split(":", 1)[0]
    r = httpx.put(f"{platform.gateway_url}/api/v1/imports/{import_id}/rows/5/decision", headers=manager(platform),
                  json={"decision": "skip"})
    assert r.status_code == 200, r.text
    assert import_cli.main(["--commit", import_id, *base]) == 0
    out = capsys.readouterr().out
    assert "Done: 2 created, 1 rejected, 1 skipped" in out, out

    found = httpx.get(f"{platform.gateway_url}/api/v1/directory", params={"q": "import"},
                      headers=manager(platform)).json()["items"]
    assert {e["first_name"] for e in found} == {"Amélie", "Bruno"}
    assert next(e for e in found if e["first_name"] == "Amélie")["phone"] == "+33 6 11 22 33 44"

    assert import_cli.main([str(file), *base, "--undecided", "skip"]) == 0
    out = capsys.readouterr().out
    assert "Dry run: 0 new, 0 update, 2 unchanged, 1 review, 1 error" in out
    assert "created" not in out.split("Done:")[1], "importing the same file twice changes nothing"


def test_upload_is_for_managers_and_needs_a_file(platform: Platform) -> None:
    url = f"{platform.gateway_url}/api/v1/imports"
    alumnus = {"Authorization": f"Bearer {platform.issue_token('alumnus', member_id='x')}"}
    assert httpx.post(url, content=CSV.encode(), headers=alumnus).status_code == 403
    assert httpx.post(url, content=CSV.encode()).status_code == 401
    r = httpx.post(url, content=b"  \n", headers=manager(platform))
    assert r.status_code == 422 and r.json()["type"].endswith("invalid-file")
    r = httpx.post(url, content=b"\xff\xfe\x00garbage;x\n\x81\x8d\x8f", headers=manager(platform))
    assert r.status_code == 422, r.text
    other = {"Authorization": f"Bearer {platform.issue_token('manager', tenant='other')}"}
    job = httpx.post(url, content=CSV.encode(), headers=manager(platform)).json()
    assert httpx.get(f"{url}/{job['import_id']}", headers=other).status_code == 404, "no cross-tenant access"
    r = httpx.put(f"{url}/{job['import_id']}/mapping", headers=manager(platform),
                  json={"mapping": {"Prénom": "first_name", "Nom": "$where"}})
    assert r.status_code == 422
    r = httpx.put(f"{url}/{job['import_id']}/mapping", headers=manager(platform),
                  json={"mapping": {"Prénom": "first_name"}})
    assert r.status_code == 422 and "required fields without a column" in r.json()["detail"]
    r = httpx.put(f"{url}/{job['import_id']}/mapping", headers=manager(platform), json={"mapping": {
        "Prénom": "first_name", "Nom": "last_name", "Courriel": "email", "Programme": "program",
        "Promotion": "graduation_year", "N° adh.": "degree", "$notes": "campus"}})
    assert r.status_code == 202, "column names with '.' or '$' are data, not keys"
    assert r.json()["mapping"]["$notes"] == "campus"
    assert httpx.delete(f"{url}/{job['import_id']}", headers=manager(platform)).json()["state"] == "failed"
