"""The Prefect credential as files and settings (no server here; tests/e2e/test_prefect_auth.py
shows a real server refusing requests without it)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from services.stack import (
    PrefectAuthError,
    auth_file,
    child_env,
    ensure_auth_string,
    prefect_auth_string,
    prefect_client_settings,
)


@pytest.fixture(autouse=True)
def _no_prefect_server_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING", "PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"):
        monkeypatch.delenv(name, raising=False)


def test_the_credential_is_generated_once_into_a_private_file(isolated_settings: Path) -> None:
    first = ensure_auth_string()
    path = auth_file()
    assert path == isolated_settings.resolve() / "secrets" / "prefect-auth"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    user, _colon, password = first.partition(":")
    assert user == "admin" and len(password) >= 40
    assert ensure_auth_string() == first
    assert [p.name for p in path.parent.iterdir()] == ["prefect-auth"]  # no temporary file left


def test_a_credential_file_others_can_read_or_a_malformed_one_is_refused(isolated_settings: Path) -> None:
    path = auth_file()
    path.parent.mkdir(parents=True)
    path.write_text("admin:" + "r" * 30 + "\n", encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(PrefectAuthError, match="chmod 600"):
        ensure_auth_string()
    path.chmod(0o600)
    assert ensure_auth_string() == "admin:" + "r" * 30  # an admin's rotated credential is used
    path.write_text("admin:short\n", encoding="utf-8")
    with pytest.raises(PrefectAuthError, match="user:password"):
        ensure_auth_string()


def test_the_local_stack_gets_auth_csrf_and_cors_to_its_own_ui(isolated_settings: Path) -> None:
    env = child_env("http://127.0.0.1:4321/api")
    secret = ensure_auth_string()
    assert env["PREFECT_SERVER_API_AUTH_STRING"] == secret == env["PREFECT_API_AUTH_STRING"]
    assert env["PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"] == "true"
    assert env["PREFECT_CLIENT_CSRF_SUPPORT_ENABLED"] == "true"
    assert env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] == "http://127.0.0.1:4321"


def test_a_proxy_origin_set_by_the_admin_wins(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS", "https://prefect.example.gov.cn")
    env = child_env("http://127.0.0.1:4321/api")
    assert env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] == "https://prefect.example.gov.cn"


def test_rongju_commands_send_the_generated_credential_to_the_local_stack_only(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    assert prefect_auth_string() is None  # no stack started here yet: nothing to send
    secret = ensure_auth_string()
    assert prefect_auth_string() == secret
    updates = prefect_client_settings("http://127.0.0.1:4321/api")
    assert updates[PREFECT_API_URL] == "http://127.0.0.1:4321/api"
    assert updates[PREFECT_API_AUTH_STRING] == secret

    # Someone else's server: its own credential from the environment, never our generated one.
    monkeypatch.setenv("PREFECT_API_URL", "https://prefect.elsewhere.example/api")
    assert prefect_auth_string() is None
    assert PREFECT_API_AUTH_STRING not in prefect_client_settings("https://prefect.elsewhere.example/api")
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", "ops:" + "e" * 30)
    assert prefect_auth_string() == "ops:" + "e" * 30


def test_an_external_server_is_not_given_a_generated_secret(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "https://prefect.elsewhere.example/api")
    env = child_env("https://prefect.elsewhere.example/api", own_server=False)
    assert "PREFECT_SERVER_API_AUTH_STRING" not in env and "PREFECT_API_AUTH_STRING" not in env
    assert not auth_file().exists()
