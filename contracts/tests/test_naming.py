import pytest

from alumni_contracts import naming
from alumni_contracts.subscriptions import SUBSCRIPTIONS


def test_event_subject_follows_convention() -> None:
    assert naming.event_subject("essec", "members", "member_registered", 1) == "evt.essec.members.member_registered.v1"


@pytest.mark.parametrize("tenant", ["", "a", "UPPER", "has space", "x" * 33, "dot.ted", "star*", "gt>"])
def test_bad_tenants_are_refused(tenant: str) -> None:
    with pytest.raises(naming.InvalidName):
        naming.event_subject(tenant, "members", "member_registered", 1)


def test_unknown_service_is_refused() -> None:
    with pytest.raises(naming.InvalidName):
        naming.stream_name("billing")


def test_stream_and_durable_names() -> None:
    assert naming.stream_name("members") == "EVT_MEMBERS"
    assert naming.stream_subjects("members") == ["evt.*.members.>"]
    assert naming.durable_name("notifications", "member_registered") == "notifications-member-registered"


def test_durable_names_longer_than_32_characters_are_refused() -> None:
    with pytest.raises(naming.InvalidName, match="32"):
        naming.durable_name("notifications", "member_consent_preferences_changed")


def test_every_declared_subscription_has_a_valid_durable() -> None:
    durables = [s.durable for s in SUBSCRIPTIONS]
    assert len(durables) == len(set(durables))
    for durable in durables:
        assert len(durable) <= naming.MAX_NAME_LENGTH


def test_commands_and_events_never_share_a_first_token() -> None:
    # A stream over evt.* must never capture request/reply subjects (DESIGN §9).
    assert naming.command_subject("members", "register_member").startswith("cmd.")
    assert naming.query_subject("members", "get_member").startswith("qry.")
    assert all(s.startswith("evt.") for s in naming.stream_subjects("members"))


def test_tenant_of_subject() -> None:
    assert naming.tenant_of_subject("evt.demo.members.member_registered.v1") == "demo"
    with pytest.raises(naming.InvalidName):
        naming.tenant_of_subject("cmd.members.register_member")


def test_erasure_confirmers_are_the_other_services_once_each() -> None:
    """Members erases its own records in the request's transaction; a members consumer of the
    erasure event (the dues-KPI projection) must not make it a confirmer it never confirms as —
    that left every erasure `in-progress` for ever."""
    from alumni_contracts.subscriptions import erasure_confirmers

    confirmers = erasure_confirmers()
    assert "members" not in confirmers and len(confirmers) == len(set(confirmers))
    assert set(confirmers) == {"events", "fundraising", "notifications", "community"}
