"""The console's main flows as the office uses them — search the directory, register a member and
see the welcome email, import a CSV while the progress bar advances — and what an alumnus' token
gets from the same page: refusals, and no other member's private fields."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from alumni_local.runner import Platform

from .conftest import Console, manager, member_rows, members_loaded, register

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REFUSED = "Forbidden: "  # then why: "managers only", "requires one of the roles: admin, manager"


def wait_text(console: Console, selector: str, text: str, timeout: float = 30) -> None:
    page = console.page
    deadline = time.monotonic() + timeout
    while text not in page.locator(selector).inner_text():
        assert time.monotonic() < deadline, f"{text!r} not in {selector}: {page.locator(selector).inner_text()!r}"
        page.wait_for_timeout(200)


def listed_with_a_profile(http: httpx.Client, member_id: str, profile: dict[str, Any]) -> None:
    """As the office records it from a paper form: directory consent, then the profile."""
    r = http.put(f"/api/v1/members/{member_id}/consents/directory", json={
        "granted": True, "text_version": "annuaire-2026", "language": "fr", "channel": "console"})
    assert r.status_code == 200, r.text
    r = http.patch(f"/api/v1/members/{member_id}", json={"version": 2, **profile})
    assert r.status_code == 200, r.text


def search_directory(console: Console, **fields: str) -> list[str]:
    page = console.page
    for name, value in fields.items():
        page.fill(f"#directory [name={name}]", value)
    query = page.evaluate("""() => {  // as the console builds it, not an earlier load's
        const params = new URLSearchParams();
        for (const [k, v] of new FormData(document.getElementById("directory")).entries()) {
            if (String(v).trim()) params.set(k, String(v).trim());
        }
        return params.toString();
    }""")
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/directory?{query}")) as response:
        page.click("#directory button[type=submit]")
    assert response.value.ok, response.value.text()
    names = [f"{e['first_name']} {e['last_name']}" for e in response.value.json()["items"]]
    page.wait_for_function("""names => {  // this answer shown (not the previous one)
        const rows = [...document.querySelectorAll("#directory-results tr td:first-child")].map(td => td.textContent);
        return rows.length === names.length && rows.every((text, i) => text.startsWith(names[i]));
    }""", arg=names)
    return [str(t) for t in page.locator("#directory-results tr").all_inner_texts()]


def test_manager_searches_the_directory(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, "Annuaire", "Cherchée", "annuaire.cherchee@example.org", program="MSc Annuaire",
                             year=2015)
        listed_with_a_profile(http, member_id, {
            "city": "Rennes", "country": "FR", "career": [{"employer": "Airbus", "job_title": "Ingénieure"}],
            "visibility": {"email": "alumni", "career": "alumni", "location": "alumni"}})
        register(http, "Autre", "Annuairex", "autre.annuairex@example.org", program="MSc Annuaire", year=2016)
    console = open_console()
    rows = search_directory(console, q="cherchée", program="MSc Annuaire", year="2015")
    assert len(rows) == 1, rows
    assert re.split(r"\t", rows[0]) == ["Annuaire Cherchée", "MSc Annuaire 2015", "annuaire.cherchee@example.org",
                                        "Ingénieure · Airbus", "Rennes"], rows
    assert search_directory(console, q="", year="", employer="airbus", city="rennes") == rows, "by employer and city"
    assert search_directory(console, employer="", city="", q="zzzz-nobody") == []
    assert console.page.locator("#directory-error").inner_text() == ""
    console.assert_clean()


def test_manager_registers_a_member_and_sees_the_welcome_email(open_console: Any) -> None:
    console = open_console()
    page = console.page
    page.locator("#members[aria-busy=false]").wait_for(state="attached")
    form = "#register"
    page.fill(f"{form} [name=first_name]", "Formulaire")
    page.fill(f"{form} [name=last_name]", "Inscrite")
    page.fill(f"{form} [name=email]", "formulaire.inscrite@example.org")
    page.fill(f"{form} [name=program]", "MSc Console")
    page.fill(f"{form} [name=graduation_year]", "2020")
    page.select_option(f"{form} [name=locale]", "fr")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/members") and r.request.method == "POST") as posted:
        page.click(f"{form} button[type=submit]")
    assert posted.value.status == 201
    member_id = posted.value.json()["member_id"]
    wait_text(console, "#register-result", f"OK: {member_id}", 10)
    assert page.input_value(f"{form} [name=first_name]") == "", "the form is emptied for the next one"
    # The console refreshes itself: the member in the list, then the welcome email in the mailbox.
    wait_text(console, "#members", "Formulaire Inscrite", 10)
    wait_text(console, "#mail", "formulaire.inscrite@example.org", 30)
    mail = page.locator("#mail tr", has_text="formulaire.inscrite@example.org").inner_text()
    assert "Bienvenue dans le réseau des alumni, Formulaire" in mail, mail
    console.assert_clean()


def test_import_shows_its_progress_bar_until_done(open_console: Any) -> None:
    """More rows than one commit batch (250): the bar shows the commit under way, then done."""
    console = open_console()
    page = console.page
    rows = 300
    csv = "first_name;last_name;email;program;graduation_year\n" + "".join(
        f"Barre{n:03d};Progression;barre.{n}@example.org;MSc Progress;2019\n" for n in range(rows))
    page.set_input_files("#import-upload input[type=file]",
                         files=[{"name": "progress.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.click("#import-upload button[type=submit]")
    page.locator("#import-mapping button", has_text="Vérifier").click()
    page.locator("#import-counts").wait_for(timeout=30_000)
    assert f"{rows} nouveaux · new" in page.locator("#import-counts").inner_text()
    assert " ".join(page.locator("#import-progress").inner_text().split()) == f"vérifié · validated {rows}/{rows} (100%)"

    # Every state the bar shows from the commit on, recorded in the page as it changes.
    page.evaluate(r"""() => {
        window.__bar = [];
        const box = document.getElementById("import-progress");
        new MutationObserver(() => {
            const bar = box.querySelector("progress");
            window.__bar.push({text: box.textContent.replace(/\s+/g, " ").trim(), value: bar ? bar.value : null,
                               visible: !!bar && bar.getBoundingClientRect().width > 0});
        }).observe(box, {childList: true, subtree: true, characterData: true});
    }""")
    page.click("#import-report button:has-text('Importer · Commit')")
    page.locator("#import-done").wait_for(timeout=60_000)
    assert page.locator("#import-done").inner_text() == f"Terminé : {rows} créés · Done: {rows} created"
    seen = page.evaluate("window.__bar")
    committing = [s for s in seen if s["text"].startswith(("import en cours · importing", "terminé · completed"))]
    assert committing and all(s["visible"] for s in committing), f"a visible bar while committing: {seen}"
    values = [s["value"] for s in committing]
    assert values == sorted(values), f"the bar never goes back: {seen}"
    assert committing[-1]["text"] == f"terminé · completed {rows}/{rows} (100%)" and values[-1] == 100, seen
    assert committing[0]["text"].startswith("import en cours") and values[0] < 100, f"shown while under way: {seen}"
    members_loaded(page, lambda: page.fill("#members-search input[name=q]", "progression"))
    assert len(member_rows(console)) == 50 and page.locator("#members-more").is_visible()
    console.assert_clean()


def test_an_alumnus_token_gets_refusals_and_no_private_fields_of_others(platform: Platform,
                                                                         open_console: Any) -> None:
    with manager(platform) as http:
        me = register(http, "Alumna", "Connectée", "alumna.connectee@example.org", program="MSc Privée", year=2018)
        other = register(http, "Discrète", "Privée", "discrete.privee@example.org", program="MSc Privée", year=2018)
        listed_with_a_profile(http, other, {
            "phone": "+33 6 55 44 33 22", "city": "Valence", "country": "FR",
            "career": [{"employer": "Banque Secrète", "job_title": "Trésorière"}],
            "visibility": {"email": "managers", "phone": "managers", "career": "managers", "location": "hidden"}})
    secrets = ("discrete.privee@example.org", "+33 6 55 44 33 22", "Valence", "Banque Secrète", "Trésorière")

    console = open_console("alumnus", member_id=me)
    page = console.page
    # Staff panels: refused by the API, said so in the panel, nothing listed.
    for panel in ("#members-error", "#mail-error"):
        wait_text(console, panel, REFUSED, 10)
        assert "manager" in page.locator(panel).inner_text(), "says who may"
    assert page.locator("#members tr, #mail tr").count() == 0
    page.fill("#register [name=first_name]", "Intruse")
    page.fill("#register [name=last_name]", "Inscrite")
    page.fill("#register [name=email]", "intruse.alumna@example.org")
    page.fill("#register [name=program]", "MSc Privée")
    page.fill("#register [name=graduation_year]", "2018")
    page.click("#register button[type=submit]")
    wait_text(console, "#register-result", REFUSED, 10)
    assert "manager" in page.locator("#register-result").inner_text()
    page.set_input_files("#import-upload input[type=file]", files=[{
        "name": "a.csv", "mimeType": "text/csv", "buffer": b"first_name;last_name\nA;B\n"}])
    page.click("#import-upload button[type=submit]")
    wait_text(console, "#import-error", REFUSED, 10)
    assert page.locator("#import-mapping select").count() == 0

    # The directory: the other alumna by name and cohort only — what she chose to show alumni.
    rows = search_directory(console, q="discrète")
    assert [re.split(r"\t", r) for r in rows] == [["Discrète Privée", "MSc Privée 2018", "—", "—", "—"]], rows
    body = page.locator("body").inner_text()
    for secret in secrets:
        assert secret not in body, secret

    # Nothing was written on the alumna's behalf; the page broke nothing getting its refusals.
    with manager(platform) as http:
        found = http.get("/api/v1/members", params={"q": "intruse"}).json()["items"]
        assert found == [], "the refused registration created nobody"
    assert console.page_errors == [] and console.csp_violations() == []
    assert all("403" in e for e in console.console_errors), console.console_errors
