"""The Alembic migrations produce exactly the SQLModel schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

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


def test_upgrade_keeps_existing_cases(tmp_path: Path) -> None:
    """Each migration runs on a filled database: a case stored at the first revision survives."""
    from alembic import command
    from alembic.config import Config

    from storage.db import MIGRATIONS_DIR, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            'INSERT INTO "case" (id, submission_id, business_type, status, submitted_at, updated_at, '
            "applicant_name, applicant_id_number, applicant_phone, residence_address, delivery_method, "
            "application, card_version) VALUES ('RJ1', 'S1', 'apply', 'submitted', '2026-01-01', "
            "'2026-01-01', '王小明', '511302199003154418', '13812345678', '成都市武侯区玉林北路1号', "
            "'pickup', '{}', 1)"
        )
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql('SELECT id, status, paused_days, escalated FROM "case"').all()
    assert [tuple(r) for r in rows] == [("RJ1", "submitted", 0, 0)]


def test_first_use_from_many_threads_migrates_once(db_url: str) -> None:
    """The API's thread pool may open the database from several threads at once."""
    import threading

    from storage import db

    db._engines.clear()
    engines: list[object] = []
    errors: list[BaseException] = []

    def use() -> None:
        try:
            engines.append(db.get_engine())
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len({id(e) for e in engines}) == 1


def test_processes_starting_together_on_a_new_database(tmp_path: Path) -> None:
    """The CLI, the API and flow runs may all open a brand-new SQLite database at the same moment."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "RONGJU_DATA_DIR": str(tmp_path / "fresh")}
    rongju = str(Path(sys.executable).parent / "rongju")
    processes = [
        subprocess.Popen([rongju, "db", "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], [r[1][-500:] for r in results]
