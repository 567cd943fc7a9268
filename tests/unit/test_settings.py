"""One settings class: every RONGJU_* variable the code reads is a Settings field and a row of the
README's Settings table; the test hooks stay out of production settings."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from config.settings import Settings, env_names, get_settings

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bRONGJU_[A-Z0-9_]*[A-Z0-9]\b")
SOURCE_SUFFIXES = {".py", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".sh"}
SKIPPED_DIRS = {".venv", "var", ".git", "node_modules", "__pycache__", "rongju.egg-info"}
# Not settings, and so not fields: one secret variable per reviewer (services/reviewers.py) ...
REVIEWER_SECRET_FAMILY = "RONGJU_REVIEWER_SECRET_"
# ... and the test hooks, which production never sets.
TEST_HOOKS = {"RONGJU_FAULT_KILL_AT"}
TEST_HOOK_FAMILY = "RONGJU_TEST_"


def _source_files() -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]  # not into the venv or the data folder
        for name in names:
            path = Path(folder, name)
            if path.suffix in SOURCE_SUFFIXES or name in {"Makefile", "run"}:
                files.append(path)
    return files


def names_in_source() -> dict[str, Path]:
    """Every RONGJU_ name spelt out in the code, with one file that uses it."""
    found: dict[str, Path] = {}
    for path in _source_files():
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            found.setdefault(name, path.relative_to(ROOT))
    return found


def _is_setting(name: str) -> bool:
    return not (name.startswith((REVIEWER_SECRET_FAMILY, TEST_HOOK_FAMILY)) or name in TEST_HOOKS)


def readme_settings_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Settings\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_the_source_scan_sees_the_code() -> None:
    found = names_in_source()
    assert {"RONGJU_DATA_DIR", "RONGJU_LINK_SECRET", "RONGJU_WORKER_LIMIT"} <= found.keys()
    assert "RONGJU_FAULT_KILL_AT" in found


def test_every_variable_the_code_reads_is_a_setting() -> None:
    missing = {name: str(path) for name, path in names_in_source().items() if _is_setting(name)}
    for name in env_names():
        missing.pop(name, None)
    assert missing == {}, "RONGJU_ names used in the code but not fields of config.settings.Settings"


def test_every_setting_is_in_the_readme_table() -> None:
    section = readme_settings_section()
    table = {name for line in section.splitlines() if line.startswith("|") for name in NAME.findall(line)}
    assert sorted(env_names() - table) == []
    # And the table lists nothing that is not a setting (a renamed or removed variable).
    assert sorted(name for name in table if name not in env_names()) == []


def test_the_variables_that_are_not_settings_are_documented_there_too() -> None:
    section = readme_settings_section()
    for name in [*sorted(TEST_HOOKS), REVIEWER_SECRET_FAMILY + "<ID>", TEST_HOOK_FAMILY]:
        assert name in section


def test_test_hooks_are_not_production_settings() -> None:
    assert not any(name.startswith("fault") or name.startswith("test") for name in Settings.model_fields)


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("RONGJU_REVIEW_LOCKOUT_FAILURES", "7", "review_lockout_failures", 7),
        ("RONGJU_REVIEW_SESSION_HOURS", "2", "review_session_hours", 2),
        ("RONGJU_API_URL", "https://rongju.example", "api_url", "https://rongju.example"),
        ("RONGJU_API_PORT", "9001", "api_port", 9001),
        ("RONGJU_WORKER_LIMIT", "3", "worker_limit", 3),
        ("RONGJU_MAX_FILE_BYTES", "1000", "max_file_bytes", 1000),
        ("RONGJU_DEMO", "1", "demo", True),
    ],
)
def test_the_existing_variable_names_still_work(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    assert getattr(get_settings(), field) == expected


def test_defaults_are_derived_from_the_data_folder(isolated_settings: Path) -> None:
    settings = get_settings()
    assert settings.database_url == f"sqlite:///{isolated_settings / 'rongju.db'}"
    assert settings.print_spool == isolated_settings / "print-spool"
    assert settings.worker_limit is not None and settings.worker_limit >= 2
    assert settings.link_secret is None and settings.api_port == 8765


def test_a_short_link_secret_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RONGJU_LINK_SECRET", "short")
    with pytest.raises(ValueError, match="at least 32"):
        Settings()


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://prefect:pw@db.internal:5432/prefect",
        "postgresql+psycopg://prefect:pw@db.internal:5432/prefect",
        "postgres://prefect:pw@db.internal:5432/prefect",
    ],
)
def test_the_prefect_database_url_is_given_to_the_server_with_its_async_driver(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    from services.stack import server_database_env

    monkeypatch.setenv("RONGJU_PREFECT_DATABASE_URL", given)
    get_settings.cache_clear()
    env = server_database_env(get_settings())
    assert (
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
        == "postgresql+asyncpg://prefect:pw@db.internal:5432/prefect"
    )
    assert "pw" not in repr(get_settings())  # a secret: not in a repr, a log line or a traceback


def test_without_a_prefect_database_url_the_server_stays_on_sqlite_and_still_vacuums() -> None:
    from services.stack import server_database_env

    env = server_database_env(Settings(prefect_retention_days=7))
    assert "PREFECT_SERVER_DATABASE_CONNECTION_URL" not in env
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"] == "P7D"
    assert env["PREFECT_SERVER_EVENTS_RETENTION_PERIOD"] == "P7D"
    shorter = server_database_env(Settings(prefect_retention_days=3))
    assert shorter["PREFECT_SERVER_EVENTS_RETENTION_PERIOD"] == "P3D"
    longer = server_database_env(Settings(prefect_retention_days=90))
    assert longer["PREFECT_SERVER_EVENTS_RETENTION_PERIOD"] == "P7D"  # events: never more than Prefect's 7


def test_prefect_reads_the_server_environment_as_meant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefect's own settings classes parse what `rongju up` gives its server (a value they refuse
    stops the server at start)."""
    from datetime import timedelta

    from prefect.settings import Settings as PrefectSettings

    from services.stack import server_database_env

    for name, value in server_database_env(Settings(prefect_retention_days=7)).items():
        monkeypatch.setenv(name, value)
    server = PrefectSettings().server
    assert server.services.db_vacuum.enabled == {"events", "flow_runs"}
    assert server.services.db_vacuum.retention_period == timedelta(days=7)
    assert server.events.retention_period == timedelta(days=7)
    assert server.database.timeout == 60


@pytest.mark.parametrize("given", ["sqlite:///var/prefect.db", "mysql://u@h/db", "not a url"])
def test_a_prefect_database_that_is_not_postgresql_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("RONGJU_PREFECT_DATABASE_URL", given)
    with pytest.raises(ValueError, match="postgresql"):
        Settings()


def test_the_prefect_database_url_stays_out_of_the_worker_and_flow_run_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.stack import child_env

    monkeypatch.setenv("RONGJU_PREFECT_DATABASE_URL", "postgresql://prefect:pw@db.internal/prefect")
    monkeypatch.setenv(
        "PREFECT_SERVER_DATABASE_CONNECTION_URL", "postgresql+asyncpg://prefect:pw@db.internal/p"
    )
    get_settings.cache_clear()
    env = child_env("http://127.0.0.1:4200/api", own_server=False)
    assert not [value for value in env.values() if "pw@" in value]
