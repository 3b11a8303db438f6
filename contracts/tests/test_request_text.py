"""Person-facing text in requests (`alumni_contracts.text`) and strict request models."""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import alumni_contracts
from alumni_contracts._requests import Request
from alumni_contracts.events.commands import ScheduleEvent
from alumni_contracts.fundraising.commands import RecordDonation
from alumni_contracts.members.commands import NewGroup, RegisterMember, SetShowcase, ShowcaseText
from alumni_contracts.text import PersonText, clean_person_text

COHORT = {"program": "MSc Finance", "graduation_year": 2012}


def register(first_name: str, **extra: Any) -> RegisterMember:
    return RegisterMember.model_validate({"first_name": first_name, "last_name": "Dupont",
                                          "email": "a@example.org", "cohort": COHORT, **extra})


def error_type(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value.errors()[0]["type"])


@pytest.mark.parametrize(("raw", "kind"), [
    ("Zo\x00ë", "text_control_character"),            # NUL
    ("\x00", "text_control_character"),
    ("Ali\x1b[31m", "text_control_character"),        # terminal escape
    ("Ali\x7f", "text_control_character"),            # DEL
    ("Ali\x85x", "text_control_character"),           # C1 control (NEL)
    ("\u202eevil.exe", "text_bidi_control"),          # right-to-left override
    ("Ali\u202a", "text_bidi_control"),               # left-to-right embedding
    ("Ali\u2067x", "text_bidi_control"),              # right-to-left isolate
    ("Ali\u2069", "text_bidi_control"),               # pop directional isolate
    ("\u200b", "text_invisible"),                      # zero-width space only
    ("\u200b\u200b \u200b", "text_invisible"),
    ("\ufeff", "text_invisible"),                      # BOM / zero-width no-break space only
    ("\u200d\u2060\u00ad", "text_invisible"),          # joiner, word joiner, soft hyphen
    ("\u3164", "text_invisible"),                      # Hangul filler (a "letter" that shows nothing)
    ("\u0301\u0301", "text_invisible"),                # combining marks with nothing to combine with
    ("Jean\nPierre", "text_line_break"),               # names are one line
    ("Jean\tPierre", "text_line_break"),
    ("Jean\rPierre", "text_line_break"),
    ("Jean\u2028Pierre", "text_line_break"),
    ("Ali\ud800", "string_unicode"),                   # unpaired surrogate (pydantic refuses it)
    ("   ", "string_too_short"),
    ("", "string_too_short"),
])
def test_hostile_names_are_refused(raw: str, kind: str) -> None:
    with pytest.raises(ValidationError) as exc:
        register(raw)
    assert error_type(exc) == kind
    assert exc.value.errors()[0]["loc"] == ("first_name",)


@pytest.mark.parametrize(("raw", "kept"), [
    ("Zoë", "Zoë"),
    ("Zoe\u0308", "Zoë"),                              # combining diaeresis → NFC
    ("Nguye\u0302\u0303n", "Nguyễn"),                  # two combining marks → one character
    ("\u014ctsuka", "Ōtsuka"),
    ("O\u0304tsuka", "Ōtsuka"),
    ("N'Diaye", "N'Diaye"),
    ("O'Brien", "O'Brien"),
    ("O’Brien", "O’Brien"),                            # typographic apostrophe kept as typed
    ("Jean-Pierre", "Jean-Pierre"),
    ("Œuvray", "Œuvray"),
    ("محمد", "محمد"),                                  # Arabic
    ("عبد الله", "عبد الله"),
    ("王小明", "王小明"),                              # Chinese
    ("Þórunn", "Þórunn"),
    ("Łukasz", "Łukasz"),
    ("  Zoë  ", "Zoë"),                                # stripped
    ("\ufeffZoë\u200b", "Zoë"),                        # invisible characters at the ends stripped
    ("می\u200cخواهم", "می\u200cخواهم"),                # a zero-width non-joiner inside Persian stays
    ("Ali \u200f(علي)", "Ali \u200f(علي)"),            # a right-to-left *mark* reorders nothing: kept
])
def test_legitimate_names_are_kept_in_nfc(raw: str, kept: str) -> None:
    member = register(raw)
    assert member.first_name == kept
    assert unicodedata.is_normalized("NFC", member.first_name)


def test_every_text_field_of_a_nested_model_follows_the_rule() -> None:
    with pytest.raises(ValidationError) as exc:
        register("Zoë", cohort={"program": "MSc\u202eFinance", "graduation_year": 2012})
    assert error_type(exc) == "text_bidi_control"
    assert exc.value.errors()[0]["loc"] == ("cohort", "program")
    assert register("Zoë", cohort={"program": "Ingénierie e\u0301", "graduation_year": 2012}).cohort.program \
        == "Ingénierie é"


@pytest.mark.parametrize(("raw", "kept"), [
    ("First line.\nSecond line.", "First line.\nSecond line."),
    ("Tabbed\tcolumns", "Tabbed\tcolumns"),
    ("Windows\r\nline ends\r", "Windows\nline ends"),
    ("\n\n  Indented story  \n", "Indented story"),
    ("Cafe\u0301", "Café"),
])
def test_multiline_text_keeps_line_feeds_and_tabs(raw: str, kept: str) -> None:
    assert ShowcaseText(story=raw).story == kept


@pytest.mark.parametrize(("raw", "kind"), [
    ("Story\x00", "text_control_character"),
    ("Story\x0bend", "text_control_character"),         # vertical tab: not a line feed
    ("Story \u202e", "text_bidi_control"),
    ("\u200b\n\u200b", "text_invisible"),
])
def test_multiline_text_refuses_the_rest(raw: str, kind: str) -> None:
    with pytest.raises(ValidationError) as exc:
        SetShowcase(story=raw)
    assert error_type(exc) == kind


def test_optional_description_may_be_empty_but_not_invisible() -> None:
    assert NewGroup(kind="club", name="Golf", description="").description == ""
    assert NewGroup(kind="club", name="Golf", description="  ").description == ""
    with pytest.raises(ValidationError) as exc:
        NewGroup(kind="club", name="Golf", description="\u200b")
    assert error_type(exc) == "text_invisible"


def test_event_titles_follow_the_rule() -> None:
    base = {"starts_at": "2027-01-01T18:00:00+01:00", "ends_at": "2027-01-01T22:00:00+01:00", "capacity": 10}
    with pytest.raises(ValidationError) as exc:
        ScheduleEvent.model_validate({**base, "title": "Gala\x00", "venue": "Paris"})
    assert error_type(exc) == "text_control_character"
    with pytest.raises(ValidationError):
        ScheduleEvent.model_validate({**base, "title": "Gala", "venue": "\u2066\u2069"})
    assert ScheduleEvent.model_validate({**base, "title": " Gala ", "venue": "Paris"}).title == "Gala"


def test_clean_person_text_is_usable_without_a_model() -> None:
    assert clean_person_text("E\u0301lodie ") == "Élodie"
    with pytest.raises(ValueError, match="control characters"):
        clean_person_text("a\x00")


# -- every request model ------------------------------------------------------------------

def _request_models() -> list[type[Request]]:
    for module in pkgutil.walk_packages(alumni_contracts.__path__, "alumni_contracts."):
        importlib.import_module(module.name)
    found: list[type[Request]] = []
    todo: list[type[Request]] = [Request]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def _leaves(annotation: Any, metadata: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """(type, metadata) of every leaf of an annotation: through Annotated, unions, containers."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        yield from _leaves(inner, [*metadata, *extra])
    elif origin in (list, set, frozenset, tuple, dict, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _leaves(arg, [])
    else:
        yield annotation, metadata


# Strings that are not person-facing text, each for a reason.
NOT_PERSON_TEXT = {
    ("ScheduleEvent", "timezone"),  # an IANA zone name, checked by the events domain (ZoneInfo)
    ("SearchDirectory", "cursor"),  # an opaque token the service decodes (or refuses: invalid-cursor)
    ("ColumnMapping", "mapping"),   # headers of the uploaded file, matched exactly, never stored as text
    ("ValidateImport", "mapping"),
    ("ReceivePaymentWebhook", "payload"),  # a provider's raw body: HMAC-verified byte for byte, then parsed
    ("ReceiveBounceWebhook", "payload"),   # the email provider's raw body: signature-verified, then parsed
}


def test_every_string_of_every_request_is_person_text_or_constrained() -> None:
    models = _request_models()
    assert len(models) > 40
    unchecked = []
    for model in models:
        for name, info in model.model_fields.items():
            for leaf, metadata in _leaves(info.annotation, list(info.metadata)):
                if leaf is not str or (model.__name__, name) in NOT_PERSON_TEXT:
                    continue
                rule = any(isinstance(m, PersonText) for m in metadata)
                pattern = any(getattr(m, "pattern", None) for m in metadata)
                if not (rule or pattern):
                    unchecked.append(f"{model.__module__}.{model.__name__}.{name}")
    assert unchecked == []


def test_every_model_nested_in_a_request_refuses_unknown_fields() -> None:
    lenient = []
    for model in _request_models():
        assert model.model_config.get("extra") == "forbid", model
        for name, info in model.model_fields.items():
            for leaf, _ in _leaves(info.annotation, []):
                if isinstance(leaf, type) and issubclass(leaf, BaseModel) and leaf.model_config.get("extra") != "forbid":
                    lenient.append(f"{model.__name__}.{name}: {leaf.__name__}")
    assert lenient == []


def test_unknown_nested_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        register("Zoë", cohort={**COHORT, "listed": True})
    assert exc.value.errors()[0]["type"] == "extra_forbidden"
    assert exc.value.errors()[0]["loc"] == ("cohort", "listed")
    with pytest.raises(ValidationError) as exc:
        RecordDonation.model_validate({"member_id": "m1", "amount": {"minor_units": 500, "currency": "EUR",
                                                                      "refunded": True}})
    assert exc.value.errors()[0]["loc"] == ("amount", "refunded")
