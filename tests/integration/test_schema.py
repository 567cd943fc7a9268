"""The Alembic migrations produce exactly the SQLModel schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from storage.db import migrate


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migration_is_idempotent(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "case",
        "document",
        "check_result",
        "review",
        "status_transition",
        "side_effect",
        "notification",
    } <= tables


def test_side_effect_keys_are_unique(engine: Engine) -> None:
    unique_columns = {
        tuple(c["column_names"]) for c in inspect(engine).get_unique_constraints("side_effect")
    } | {tuple(i["column_names"]) for i in inspect(engine).get_indexes("side_effect") if i["unique"]}
    assert ("key",) in unique_columns


def test_sqlite_runs_in_wal_mode(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
