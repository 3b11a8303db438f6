"""Deployment manifests are validated offline and checked against the code they configure."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from alumni_local.docs import SETTINGS
from servicekit import nats_auth

from ..conftest import REPO

SERVICES = ("members", "events", "fundraising", "notifications", "community", "gateway")


def _compose_binary() -> Path:
    import compose  # type: ignore[import-not-found]

    # The package's wrapper script always exits 0; call the binary it ships.
    return Path(compose.__file__).parent / "docker-compose"


def known_variables() -> set[str]:
    names = set()
    for _, cls in SETTINGS:
        prefix = cls.model_config.get("env_prefix", "")
        names |= {f"{prefix}{field.upper()}" for field in cls.model_fields}
    return names


NATS_PASSWORDS = {nats_auth.password_variable(u.name): f"secret-of-{u.name}" for u in nats_auth.all_users(["demo"])}


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(_compose_binary()), "-f", str(REPO / "deploy/compose/compose.yaml"), "config",
                           "--format", "json"], capture_output=True, text=True,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **env})


def test_compose_file_is_valid_and_sets_only_real_settings() -> None:
    out = _compose_config(NATS_PASSWORDS)
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    known = known_variables()
    for name in SERVICES:
        env = config["services"][name]["environment"]
        unknown = {k for k in env if k.startswith(name.upper() + "_") and k not in known}
        assert not unknown, f"{name} sets variables no setting reads: {unknown}"


def test_compose_gives_each_process_its_own_nats_user_and_no_default_password() -> None:
    config = json.loads(_compose_config(NATS_PASSWORDS).stdout)
    for name in SERVICES:
        env = config["services"][name]["environment"]
        prefix = name.upper() + "_"
        assert env[prefix + "NATS_USER"] == name
        assert env[prefix + "NATS_PASSWORD"] == f"secret-of-{name}"
    assert config["services"]["topology"]["environment"]["NATS_USER"] == nats_auth.OPS
    assert config["services"]["nats"]["environment"] == NATS_PASSWORDS  # what deploy/nats/nats.conf reads
    missing = _compose_config({k: v for k, v in NATS_PASSWORDS.items() if k != "NATS_PASSWORD_MEMBERS"})
    assert missing.returncode != 0 and "NATS_PASSWORD_MEMBERS" in missing.stderr


def test_kubernetes_services_read_their_own_nats_password_from_a_secret() -> None:
    for name in SERVICES:
        text = (REPO / f"deploy/kubernetes/{name}.yaml").read_text()
        prefix = name.upper() + "_"
        assert re.search(rf"- name: {prefix}NATS_USER\n\s+value: {name}\n", text), name
        assert re.search(rf"- name: {prefix}NATS_PASSWORD\n\s+valueFrom: \{{secretKeyRef: \{{name: alumni-nats, "
                         rf"key: {name}}}}}", text), name


def test_kubernetes_manifests_are_valid() -> None:
    manifests = sorted(str(p) for p in (REPO / "deploy/kubernetes").glob("*.yaml") if p.name != "kustomization.yaml")
    result = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", *manifests],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_manifests_set_only_real_settings() -> None:
    known = known_variables() | {"NATS_URL", "NATS_USER", "NATS_PASSWORD", "TOPOLOGY_REPLICAS"}
    for path in (REPO / "deploy/kubernetes").glob("*.yaml"):
        for name in re.findall(r"- name: ([A-Z][A-Z0-9_]+)", path.read_text()):
            assert name in known, f"{path.name}: {name} is read by no setting"


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_copies_what_exists_and_runs_the_service_module(service: str) -> None:
    text = (REPO / f"services/{service}/Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+) ", text, re.M):
        assert (REPO / source).exists(), f"{service}/Dockerfile copies missing {source}"
    assert f'CMD ["python", "-m", "{service}_service"]' in text
    install = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert "secantus" not in install.lower() and "[testing]" not in install, "no test-only dependency in images"
