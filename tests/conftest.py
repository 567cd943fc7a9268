"""Shared fixtures: an isolated data folder per test, and the case DB on SQLite and PostgreSQL.

PostgreSQL tests use the real server this machine kind runs on localhost (never a mock): each test
session creates its own database and drops it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgdatabase import fresh_database
from sqlalchemy import Engine

from config.settings import get_settings
from storage.db import make_engine, migrate


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data folder (and so its own SQLite DB and document store)."""
    for name in list(os.environ):
        if name.startswith("RONGJU_") and not name.startswith("RONGJU_TEST_"):
            monkeypatch.delenv(name)
    data_dir = tmp_path / "var"
    monkeypatch.setenv("RONGJU_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped after the session."""
    with fresh_database("rongju_test") as url:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The case DB URL, once per backend; also exported as RONGJU_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'rongju.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_all(url)
    monkeypatch.setenv("RONGJU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        # Every table of the case DB (CASCADE reaches the ones referencing "case"), and the counters.
        connection.exec_driver_sql('TRUNCATE reviewer_code_use, counter, "case" CASCADE')
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    from storage.db import get_engine

    yield get_engine()
