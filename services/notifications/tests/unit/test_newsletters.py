"""Newsletters without servers: the lifecycle rules, the language choice, the Markdown
sanitiser, the request contract, the contract mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from alumni_contracts.notifications import newsletters as contracts
from notifications_service.adapters.markdown import MarkdownRenderer
from notifications_service.domain.model import Notification
from notifications_service.domain.newsletters import (
    Content,
    Newsletter,
    NewsletterFannedOut,
    NewsletterNotEditable,
    NewsletterScheduled,
    NewsletterStatus,
    ScheduleInThePast,
    delivery_key,
)
from notifications_service.service_layer.contract_mapping import to_contract
from notifications_service.service_layer.newsletters import newsletter_contract

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
BILINGUAL = Content({"fr": "Bonjour", "en": "Hello"}, {"fr": "**fr**", "en": "**en**"})


def draft(content: Content = BILINGUAL) -> Newsletter:
    return Newsletter.draft(tenant="demo", content=content, segment={"cohort_years": [2016],
                                                                     "consent_purpose": "newsletter"},
                            by="staff", now=NOW)


def test_lifecycle_draft_scheduled_sending_sent() -> None:
    n = draft()
    assert n.status is NewsletterStatus.DRAFT and n.version == 1 and n.persisted_version == 0
    n.edit(BILINGUAL, {"cohort_years": [2017]})
    n.schedule(NOW + timedelta(days=1), NOW)
    assert n.status is NewsletterStatus.SCHEDULED and not n.due(NOW) and n.due(NOW + timedelta(days=1))
    n.schedule(None, NOW)  # moved to now
    assert n.due(NOW)
    with pytest.raises(NewsletterNotEditable):
        n.edit(BILINGUAL, {})
    n.queued_batch("m-010", 10)
    n.queued_batch("m-020", 7)
    assert (n.status, n.cursor, n.queued) == (NewsletterStatus.SENDING, "m-020", 17)
    with pytest.raises(AssertionError):
        n.queued_batch("m-015", 1)  # the fan-out only moves forward
    with pytest.raises(NewsletterNotEditable):
        n.cancel()  # what is queued goes out
    with pytest.raises(NewsletterNotEditable):
        n.schedule(None, NOW)
    n.fanned_out(NOW)
    n.fanned_out(NOW)  # once
    events = [e for e, _ in n.pending_events()]
    assert [type(e) for e in events] == [NewsletterScheduled, NewsletterScheduled, NewsletterFannedOut]
    assert isinstance(events[-1], NewsletterFannedOut) and events[-1].recipients == 17


def test_a_schedule_in_the_past_is_refused_and_a_draft_can_be_cancelled() -> None:
    n = draft()
    with pytest.raises(ScheduleInThePast):
        n.schedule(NOW - timedelta(minutes=1), NOW)
    n.cancel()
    assert n.status is NewsletterStatus.CANCELLED and not n.due(NOW)
    with pytest.raises(NewsletterNotEditable):
        n.schedule(None, NOW)


def test_the_member_gets_their_language_or_the_one_written() -> None:
    assert BILINGUAL.language_for("en") == "en" and BILINGUAL.language_for("de") == "fr"
    english_only = Content({"en": "Hello"}, {"en": "x"})
    assert english_only.language_for("fr") == "en"


def test_the_delivery_key_is_one_per_member_and_fits_an_identifier() -> None:
    newsletter, member = "01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11", "01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b12"
    key = delivery_key(newsletter, member)
    assert key == delivery_key(newsletter, member) != delivery_key(newsletter, member[:-1] + "3")
    assert key.startswith(f"nl-{newsletter}-") and len(key) <= 64  # `notification_sent.notification_id`
    Notification(id=key, tenant="demo")  # and it is a notification id


@pytest.mark.parametrize(("markdown", "absent", "present"), [
    ("<script>alert(1)</script>", "<script", "&lt;script&gt;"),
    ("[x](javascript:alert(1))", "href=", "[x]"),  # not a link: shown as text
    ('<img src=x onerror="alert(1)">', "<img src=x", "&lt;img"),
    ("[site](https://example.org)", "javascript", 'href="https://example.org"'),
    ("**gras** et _italique_", "<script", "<strong>gras</strong>"),
])
def test_markdown_is_rendered_to_sanitised_html(markdown: str, absent: str, present: str) -> None:
    html = MarkdownRenderer().html(markdown)
    assert absent not in html and present in html


@pytest.mark.parametrize("body", [
    {"subject_fr": "Sujet", "segment": {}},  # a subject without its body
    {"segment": {}},  # no language at all
    {"subject_fr": "S", "body_fr": "B", "segment": {"consent_purpose": "partners"}},
    {"subject_fr": "S", "body_fr": "B", "segment": {"countries": ["France"]}},
    {"subject_fr": "S", "body_fr": "B", "segment": {}, "status": "sent"},  # mass assignment
    {"subject_fr": "S", "body_fr": "x" * 50_001, "segment": {}},
])
def test_bad_requests_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        contracts.CreateNewsletter.model_validate(body)


def test_the_consent_defaults_to_newsletters() -> None:
    req = contracts.CreateNewsletter.model_validate({"subject_en": "S", "body_en": "B", "segment": {}})
    assert req.segment.consent_purpose.value == "newsletter"


def test_events_map_to_their_contracts() -> None:
    n = draft()
    n.schedule(None, NOW)
    n.queued_batch("m1", 3)
    n.fanned_out(NOW)
    scheduled, fanned = (newsletter_contract(e, to_contract) for e, _ in n.pending_events())
    assert isinstance(scheduled, contracts.NewsletterScheduled) and scheduled.segment.cohort_years == [2016]
    assert [x.value for x in scheduled.languages] == ["en", "fr"]
    assert isinstance(fanned, contracts.NewsletterFannedOut) and fanned.recipients == 3
