"""Development tokens: the subject follows the role and the member unless given."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from gateway_service.__main__ import issue_token
from gateway_service.adapters.auth import dev_subject
from gateway_service.config import GatewaySettings


def test_the_default_subject_follows_the_role_and_the_member() -> None:
    assert dev_subject(["manager"]) == "dev-manager"
    assert dev_subject(["admin", "manager"]) == "dev-admin"
    assert dev_subject(["alumnus"], "m-42") == "dev-alumnus-m-42"
    assert dev_subject(["manager", "alumnus"], "m-42") == "dev-alumnus-m-42"


def test_the_token_command_mints_an_alumnus_token_with_its_own_subject(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = GatewaySettings(_env_file=None, dev_issuer_key_file=tmp_path / "key.pem")  # type: ignore[call-arg]
    issue_token(settings, ["--roles", "alumnus", "--member-id", "m-42"])
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["sub"] == "dev-alumnus-m-42" and claims["member_id"] == "m-42" and claims["roles"] == ["alumnus"]
    issue_token(settings, ["--subject", "someone"])
    assert jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})["sub"] == "someone"
