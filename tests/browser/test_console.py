"""The staff console in headless Chromium against the running platform: hostile names stay
text under the CSP, the token stays out of localStorage, the members panel pages and searches,
the mailbox fetches only what is new, and the page fits a phone."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from alumni_local.runner import Platform

from .conftest import manager, member_rows, members_loaded, register

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HOSTILE_FIRST = '<img src=x onerror="window.__xss=1">'
HOSTILE_LAST = 'Hostile"><svg onload=window.__xss=3>'
HOSTILE_PROGRAM = "<i>Programme</i><script>window.__xss=4</script>"
HOSTILE_GROUP = "<script>window.__xss=2</script>"
HOSTILE_BIRTH = "<iframe srcdoc='<script>parent.__xss=5</script>'>"
HOSTILE_CITY = "<svg/onload=window.__xss=6>"
HOSTILE_EMPLOYER = "<a href=javascript:window.__xss=7>Acme</a>"


def test_hostile_names_are_shown_as_text_under_the_csp(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, HOSTILE_FIRST, HOSTILE_LAST, "hostile.name@example.org", program=HOSTILE_PROGRAM)
        r = http.post("/api/v1/groups", json={"name": HOSTILE_GROUP, "kind": "club", "policy": "open"})
        assert r.status_code == 201, r.text
        group_id = r.json()["group_id"]
        alumnus = platform.issue_token("alumnus", subject="browser-hostile", member_id=member_id)
        # The alumnus edits their own profile with more markup.
        r = http.patch("/api/v1/me", headers={"Authorization": f"Bearer {alumnus}"}, json={
            "version": 1, "birth_name": HOSTILE_BIRTH, "city": HOSTILE_CITY,
            "career": [{"employer": HOSTILE_EMPLOYER, "job_title": "<b>CEO</b>"}]})
        assert r.status_code == 200, r.text
        r = http.put(f"/api/v1/groups/{group_id}/membership", headers={"Authorization": f"Bearer {alumnus}"})
        assert r.status_code == 200, r.text

    console = open_console()
    page = console.page
    page.locator("#members[aria-busy=false]").wait_for(state="attached")
    members_loaded(page, lambda: page.fill("#members-search input[name=q]", "hostile"))
    full_name = f"{HOSTILE_FIRST} {HOSTILE_LAST}"
    assert member_rows(console) == [full_name], "the search found the member, name shown literally"
    assert page.locator("#members").get_by_text(HOSTILE_PROGRAM + " 2001").count() == 1

    page.locator("#members button.link", has_text=full_name).click()  # the record
    page.locator("#record").get_by_text(HOSTILE_PROGRAM + " 2001").wait_for()
    record = page.locator("#record").inner_text()
    for text in (f"{HOSTILE_FIRST} {HOSTILE_LAST} (née · born {HOSTILE_BIRTH})", HOSTILE_CITY,
                 f"<b>CEO</b> · {HOSTILE_EMPLOYER}"):
        assert text in record, text

    page.locator("#groups button.link", has_text=HOSTILE_GROUP).click()  # the group and its members
    page.locator("#group-members p").wait_for()
    assert page.locator("#group-members h3").inner_text() == HOSTILE_GROUP
    assert full_name in page.locator("#group-members p").inner_text()
    page.locator("#groups button.link", has_text=f"{HOSTILE_PROGRAM} 2001").click()  # the cohort group's name
    page.locator("#group-members h3", has_text=f"{HOSTILE_PROGRAM} 2001").wait_for()

    # Nothing of it became markup, nothing ran.
    for panel in ("#members", "#record", "#groups", "#group-members"):
        injected = ", ".join(f"{panel} {tag}" for tag in ("img", "svg", "script", "i", "a", "iframe"))
        assert page.locator(injected).count() == 0, panel
    assert page.evaluate("window.__xss") is None
    console.assert_clean()

    # The CSP is really enforced: with Trusted Types required and no policy, a string written to a
    # markup or script sink throws instead of becoming markup, and each attempt is reported.
    refused = page.evaluate("""() => [
        el => { el["inner" + "HTML"] = "<img src=x onerror='window.__inline = 1'>"; },
        el => { el.setAttribute("onclick", "window.__inline = 2"); el.click(); },
        el => { const s = document.createElement("script"); s.textContent = "window.__inline = 3"; el.append(s); },
    ].map(attempt => {
        const el = document.createElement("div");
        document.body.append(el);
        try { attempt(el); return false; } catch (e) { return e instanceof TypeError; } finally { el.remove(); }
    })""")
    assert refused == [True, True, True]
    page.wait_for_function("() => window.__csp.length >= 3")
    assert page.evaluate("window.__inline") is None
    assert {v["directive"] for v in console.csp_violations()} == {"require-trusted-types-for"}


def test_token_is_taken_from_the_fragment_and_never_stored_in_local_storage(open_console: Any) -> None:
    console = open_console()
    page = console.page
    page.locator("#members tr").first.wait_for()
    assert page.evaluate("location.hash") == "" and "token" not in page.url, "removed from the address bar"
    assert page.evaluate("localStorage.length") == 0
    token = console.url.split("#token=", 1)[1]
    assert page.evaluate("sessionStorage.getItem('alumni-token')") == token, "survives a reload of this tab only"
    page.reload()
    page.locator("#members tr").first.wait_for()
    assert page.evaluate("localStorage.length") == 0
    console.assert_clean()


def test_members_panel_pages_searches_and_sorts(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        for n in range(60):
            register(http, f"Page{n:02d}", "Pagerow", f"pagerow.{n}@example.org")
    console = open_console()
    page = console.page
    more = page.locator("#members-more")
    page.locator("#members[aria-busy=false]").wait_for(state="attached")
    rows = member_rows(console)
    assert rows == [f"Page{n:02d} Pagerow" for n in range(59, 9, -1)], "newest first, 50 a page"
    members_loaded(page, more.click)
    rows = member_rows(console)
    assert len(rows) > 50 and len(rows) == len(set(rows)), "the next page continues where the first stopped"
    assert {f"Page{n:02d} Pagerow" for n in range(60)} <= set(rows)

    members_loaded(page, lambda: page.fill("#members-search input[name=q]", "pagerow"))
    assert len(member_rows(console)) == 50
    members_loaded(page, more.click)
    assert len(member_rows(console)) == 60
    assert not more.is_visible() and "fin · end" in page.locator("#members-count").inner_text()
    members_loaded(page, lambda: page.select_option("#members-search select[name=order]", "oldest"))
    assert member_rows(console)[:2] == ["Page00 Pagerow", "Page01 Pagerow"]
    members_loaded(page, lambda: page.fill("#members-search input[name=q]", "page07"))
    assert member_rows(console) == ["Page07 Pagerow"]
    # One compact line per member: the actions sit in a menu.
    page.locator("#members details.menu summary").click()
    assert page.locator("#members details.menu button").all_inner_texts()[0] == "Fiche · Record"
    page.locator("#members details.menu button", has_text="Fiche · Record").click()
    page.locator("#record").get_by_text("pagerow.7@example.org (principal · primary)").wait_for()  # that record
    console.assert_clean()


def test_mailbox_downloads_only_new_messages(platform: Platform, open_console: Any) -> None:
    console = open_console()
    page = console.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/dev/mailbox" in r.url else None)
    page.reload()
    page.locator("#mail tr").first.wait_for()
    assert requests and all("limit=" in u for u in requests), "the first load asks for one page"
    with manager(platform) as http:
        register(http, "Courrier", "Nouveau", "courrier.nouveau@example.org")
    deadline = time.monotonic() + 30
    while "courrier.nouveau@example.org" not in page.locator("#mail").inner_text():
        assert time.monotonic() < deadline, "the welcome email appears through the 5 s poll"
        page.wait_for_timeout(250)
    times = page.locator("#mail tr td:first-child").all_inner_texts()
    assert times and all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", t) for t in times), times[:3]
    polls = [u for u in requests[1:] if "after=" in u]
    assert polls, f"polls ask only for messages after the newest shown: {requests}"
    console.assert_clean()


def within(page: Any, selector: str, width: int = 390) -> None:
    """Every element of `selector` is shown within the viewport's width (no sideways scrolling)."""
    boxes = page.locator(selector)
    assert boxes.count(), selector
    for i in range(boxes.count()):
        box = boxes.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, i, box)


def test_phone_size_fits_the_viewport(platform: Platform, open_console: Any) -> None:
    with manager(platform) as http:
        member_id = register(http, "Rémi", "Phonereview", "remi.phonereview@example.org", program="MSc Phone", year=2003)
        r = http.put(f"/api/v1/members/{member_id}/consents/newsletter", json={
            "granted": True, "text_version": "nl-1", "language": "fr", "channel": "console"})
        assert r.status_code == 200, r.text
    console = open_console(width=390, height=844)
    page = console.page
    page.locator("#members tr").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    header = page.locator("header").bounding_box()
    assert header is not None and header["x"] >= 0 and header["x"] + header["width"] <= 390
    for selector in ("#save", "#members-search button[type=submit]", "#refresh-members", "#register button[type=submit]",
                     "#directory button[type=submit]", "#group-create button[type=submit]"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    columns = page.evaluate("getComputedStyle(document.querySelector('main')).gridTemplateColumns.split(' ').length")
    assert columns == 1, "one column on a phone"

    # The import report: one card per row, the review buttons on the screen.
    csv = ("first_name;last_name;email;program;graduation_year\n"
           "Rémi;Phonereview;remi.other@example.org;MSc Phone;2003\n"
           "Broken;Phonereview;not-an-email;MSc Phone;1492\n").encode()
    page.set_input_files("#import-upload input[type=file]",
                         files=[{"name": "phone.csv", "mimeType": "text/csv", "buffer": csv}])
    page.click("#import-upload button[type=submit]")
    page.locator("#import-sample").wait_for()
    page.click("#import-mapping button:has-text('Vérifier')")
    page.locator("#import-report table[data-status=review]").wait_for()
    within(page, "#import-report table[data-status=review] button")
    within(page, "#import-report table[data-status=error] td")
    assert page.locator("#import-report table[data-status=review] button").all_inner_texts()[:3] == [
        "Fusionner · Merge", "Créer · Create", "Ignorer · Skip"]
    assert "à vérifier · review" in page.locator("#import-report table[data-status=review]").inner_text()
    assert "erreur · error" in page.locator("#import-report table[data-status=error]").inner_text()
    error_cell = page.locator("#import-report table[data-status=error] td").nth(3).bounding_box()
    assert error_cell is not None and error_cell["width"] > 250, "the error text has the card's width"
    assert page.locator("#import-failures").count() == 0, "the rejected rows' errors are listed once, in the table"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The member record: the consent ledger as cards, its date on the screen and formatted.
    page.evaluate(f"showRecord({member_id!r})")
    page.locator("#consent-ledger time").first.wait_for()
    within(page, "#consent-ledger time")
    ledger = page.locator("#consent-ledger").inner_text()
    assert "lettre d'information · newsletter" in ledger and "service alumni · staff" in ledger, ledger
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", page.locator("#consent-ledger time").first.inner_text())
    assert "service alumni · managers" in page.locator("#record").inner_text(), "visibility as labels"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    console.assert_clean()


def test_hostile_csv_columns_and_cells_are_shown_as_text(open_console: Any) -> None:
    console = open_console()
    page = console.page
    header = '<img src=x onerror="window.__xss=8">'
    cell = "<script>window.__xss=9</script>"
    csv = f"first_name;last_name;email;{header}\nAnna;Csv;anna.csv@example.org;{cell}\n".encode()
    page.set_input_files("#import-upload input[type=file]",
                         files=[{"name": "<b>alumni</b>.csv", "mimeType": "text/csv", "buffer": csv}])
    page.click("#import-upload button[type=submit]")
    page.locator("#import-mapping table").first.wait_for()
    mapping = page.locator("#import-mapping").inner_text()
    assert header in mapping and cell in mapping
    assert cell in page.locator("#import-sample").inner_text(), "the first rows as understood, as text too"
    assert page.locator("#import-mapping img, #import-mapping script").count() == 0
    selects = page.locator("#import-mapping select")
    assert [selects.nth(i).input_value() for i in range(4)] == ["first_name", "last_name", "email", ""], \
        "the suggested mapping is preselected; the hostile column is ignored"
    assert page.evaluate("window.__xss") is None
    console.assert_clean()


HOSTILE_COHORT = "<img src=x onerror=window.__xss=10>"


def test_import_wizard_from_upload_to_the_rejected_rows_and_a_member_without_email(open_console: Any) -> None:
    """French Excel's file (Windows-1252, `;`): cohorts as offices write them, a member without an
    email, a formula cell where a spreadsheet would run it, a broken row — through the console."""
    console = open_console()
    page = console.page
    csv = ("Prénom;Nom;Courriel;Programme;Promotion;Ville\r\n"
           "Éloïse;Wizardé;eloise.wizard@example.org;MSc Wizard;Promo 2012;=1+2\r\n"
           "Gaël;Wizardé;gael.wizard@example.org;MSc Wizard;2011-2012;Paris\r\n"
           "Noémie;Sansmailwiz;;MSc Wizard;Promo 2010;Lyon\r\n"
           f"Broken;Wizardé;broken.wizard@example.org;MSc Wizard;{HOSTILE_COHORT};Nice\r\n").encode("cp1252")
    page.set_input_files("#import-upload input[type=file]",
                         files=[{"name": "anciens.csv", "mimeType": "text/csv", "buffer": csv}])
    page.click("#import-upload button[type=submit]")
    page.locator("#import-sample").wait_for()
    mapping = page.locator("#import-mapping").inner_text()
    assert "windows-1252" in mapping and "« ; »" in mapping
    selects = page.locator("#import-mapping select")
    assert [selects.nth(i).input_value() for i in range(6)] == [
        "first_name", "last_name", "email", "program", "graduation_year", "city"]
    assert selects.nth(0).locator("option:checked").inner_text() == "Prénom · First name *", "fields by their labels"
    assert "email *" not in mapping and "Graduation year" in page.locator("#import-mapping p").nth(1).inner_text(), \
        "email is not a required field"
    sample = page.locator("#import-sample").inner_text()
    assert "Promo 2012 → 2012" in sample and "2011-2012 → 2012" in sample, "the cohort as understood"
    assert "Éloïse" in sample and "=1+2" in sample and "formula" in sample, "decoded; the formula cell flagged"
    assert HOSTILE_COHORT in sample, "the broken cell shown as text"
    assert page.locator("#import-sample tr.rejected").count() == 1

    page.click("#import-mapping button:has-text('Vérifier')")
    page.locator("#import-counts").wait_for()
    counts = page.locator("#import-counts").inner_text()
    assert "3 nouveaux · new" in counts and "1 erreurs · errors" in counts and "1 avec avertissement" in counts, counts
    assert "=1+2" in page.locator("#import-report table[data-status=warned]").inner_text()
    errors = page.locator("#import-report table[data-status=error]").inner_text()
    assert "ligne · line 5" in errors and "erreur · error" in errors, errors
    assert page.locator("#import-failures").count() == 0, "each rejected row's errors once, in the table"
    rejected = page.locator("#import-rejected").inner_text()
    assert "Rejetées · Rejected: 1" in rejected and "(Europe/Paris)" in rejected, rejected

    page.click("#import-report button:has-text('Importer · Commit')")
    page.locator("#import-done").wait_for(timeout=30_000)
    assert page.locator("#import-done").inner_text() == "Terminé : 3 créés, 1 rejeté · Done: 3 created, 1 rejected"
    assert "Rejetées · Rejected: 1" in page.locator("#import-rejected").inner_text()
    with page.expect_download() as download_info:
        page.click("#import-rejected-csv")
    download = download_info.value
    assert download.suggested_filename == "anciens-rejected.csv"
    with open(download.path(), "rb") as saved:
        content = saved.read()
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for French Excel"
    text = content.decode("utf-8-sig")
    assert "Broken;Wizardé;broken.wizard@example.org" in text and HOSTILE_COHORT in text, text
    assert "Éloïse" not in text and "Noémie" not in text

    members_loaded(page, lambda: page.fill("#members-search input[name=q]", "sansmailwiz"))
    assert member_rows(console) == ["Noémie Sansmailwiz"]
    assert "sans e-mail · no email" in page.locator("#members tr").first.inner_text()
    page.locator("#members button.link", has_text="Noémie Sansmailwiz").click()
    page.locator("#record .badge[data-flag=missing-email]").wait_for()
    record = page.locator("#record").inner_text()
    assert "— (sans e-mail · no email)" in record and "MSc Wizard 2010" in record
    assert page.locator("#record button", has_text="Email en erreur").count() == 0

    for panel in ("#import-mapping", "#import-report"):
        assert page.locator(f"{panel} img, {panel} script").count() == 0, panel
    assert page.evaluate("window.__xss") is None
    console.assert_clean()
