"""CSV import through the gateway and the `alumni-import` CLI, on the running platform."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

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
    assert "line 4: graduation_year: a graduation year between 1900 and 2100" in out and "('deux mille')" in out
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
    r = httpx.post(url, content=b"x" * 3_000_000, headers=manager(platform))  # no newline: not a CSV file
    assert r.status_code == 422 and r.json()["type"].endswith("invalid-file"), r.text
    assert "the header line holds a cell longer than 128 KB" in r.json()["detail"]
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


HEADER = ["Nom", "Prénom", "Courriel", "Programme", "Promotion", "Téléphone", "Date de naissance"]
REGISTER = [
    ["Registre", "Hélène", "helene.registre@example.org", "Grande École", "Promo 2012", "+33 6 98 76 54 32", ""],
    ["Registre-Côté", "François", "francois.registre@example.org", "Grande École", "2011-2012", "", ""],
    ["Registre-Müller", "Anaïs", "anais.registre@example.org", "MSc Finance", "P2008", "", ""],
    ["Registre-Cœur", "Noël", "", "Grande École", "Promo 1968", "", "14/03/1946"],  # no email, a birth date
    ["Registre-Formule", "Olivier", "olivier.registre@example.org", "=1+2", "2011", "", ""],  # a formula
    ["", "Cassé", "pas-un-email", "MSc Finance", "Promo", "", ""],  # really broken
]


def excel_file(path: Path, rows: list[list[str]], encoding: str, delimiter: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([HEADER, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_an_excel_register_its_rejected_rows_fixed_and_the_utf8_export_changes_nothing(
        platform: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--gateway", platform.gateway_url, "--token", platform.issue_token("manager")]
    rejected = tmp_path / "rejetées.csv"
    source = excel_file(tmp_path / "registre.csv", REGISTER, "cp1252", ";")
    assert import_cli.main([str(source), *base, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run: 4 new, 0 update, 0 unchanged, 0 review, 2 error" in out, out
    assert "line 6: program: starts with '='" in out
    import_id = out.split("Import ", 1)[1].split(":", 1)[0]
    assert f"alumni-import --commit {import_id}" in out, "a dry run keeps its import, to commit later"
    job = httpx.get(f"{platform.gateway_url}/api/v1/imports/{import_id}", headers=manager(platform)).json()
    assert job["state"] == "validated" and job["rejected"] == 2 and len(job["failures"]) == 2
    assert job["rejected_csv"] == f"/api/v1/imports/{import_id}/rejected.csv"
    assert job["report_expires_at"] is not None
    rows = httpx.get(f"{platform.gateway_url}/api/v1/imports/{import_id}/rows", params={"status": "new"},
                     headers=manager(platform)).json()["items"]
    assert [(r["cells"][4], r["values"]["graduation_year"]) for r in rows[:2]] == [("Promo 2012", 2012),
                                                                                  ("2011-2012", 2012)]

    assert import_cli.main(["--commit", import_id, *base, "--rejected", str(rejected)]) == 0
    out = capsys.readouterr().out
    assert "Done: 4 created, 2 rejected" in out and f"2 rejected row(s) written to {rejected}" in out
    r = httpx.get(f"{platform.gateway_url}{job['rejected_csv']}", headers=manager(platform))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"].startswith("text/csv") and r.content == rejected.read_bytes()
    text = rejected.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffNom;Prénom;Courriel;Programme;Promotion;Téléphone;Date de naissance;Erreur")
    lines = text.removeprefix("\ufeff").split("\r\n")
    assert lines[1].startswith("Registre-Formule;Olivier;olivier.registre@example.org;'=1+2;2011;;;program:")
    assert lines[2].startswith(";Cassé;pas-un-email;MSc Finance;Promo;;;")

    members: list[dict[str, Any]] = []
    page: dict[str, Any] = {"next_cursor": ""}
    while page["next_cursor"] is not None:
        params = {"limit": 100, **({"after": page["next_cursor"]} if page["next_cursor"] else {})}
        page = httpx.get(f"{platform.gateway_url}/api/v1/members", params=params, headers=manager(platform)).json()
        members += page["items"]
    noel = next(m for m in members if m["last_name"] == "Registre-Cœur")
    assert noel["email"] is None and noel["emails"] == [] and noel["hygiene"] == ["missing-email"]
    assert noel["birth_date"] == "1946-03-14"

    # Fixed in Excel (which keeps the BOM and `;`), imported again: only those two are created.
    fixed = rejected.read_bytes().decode("utf-8").replace("'=1+2", "MSc Finance").replace(
        ";Cassé;pas-un-email;MSc Finance;Promo;", "Registre-Réparé;Cassé;;MSc Finance;P2013;")
    rejected.write_bytes(fixed.encode("utf-8"))
    none = tmp_path / "rien.csv"
    assert import_cli.main([str(rejected), *base, "--rejected", str(none)]) == 0
    out = capsys.readouterr().out
    assert "utf-8, separator ';'" in out and "Dry run: 2 new, 0 update, 0 unchanged, 0 review, 0 error" in out, out
    assert "Done: 2 created" in out
    assert f"No rejected rows — nothing written to {none}" in out and not none.exists()

    # The same people exported as "CSV UTF-8" (BOM, commas): nothing new.
    again = excel_file(tmp_path / "registre-utf8.csv", REGISTER, "utf-8-sig", ",")
    assert import_cli.main([str(again), *base]) == 0
    out = capsys.readouterr().out
    assert "Dry run: 0 new, 0 update, 4 unchanged, 0 review, 2 error" in out, out
    assert "created" not in out.split("Done:")[1]
