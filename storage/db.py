"""The case database: engine, schema migrations and the unit of work.

SQLite (the embedded default) runs in WAL mode with a busy timeout so a worker and the CLI can
write side by side; PostgreSQL is the same code with another URL.

Engines hide statement parameters: a database error's text (a 'database is locked', a constraint
violation) would otherwise carry the row's name, ID number and phone into Prefect's task states and
logs. A SQLite case DB file is created 0600 and refused when others can read it (storage/permissions.py).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import DBAPIError as DBAPIError  # re-exported: see the note below
from sqlalchemy.exc import IntegrityError as IntegrityError
from sqlalchemy.exc import OperationalError as OperationalError
from sqlmodel import Session, create_engine

from config.settings import get_settings
from storage.permissions import (
    create_private_file,
    ensure_data_dir,
    ensure_private_dir,
    private_umask,
    require_private,
)
from storage.repositories import (
    Cards,
    Cases,
    Checks,
    Counters,
    Deliveries,
    Documents,
    Effects,
    Notifications,
    Replays,
    Reviews,
    ReviewSessions,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# The database's errors that services and tasks act on (a racing insert lost: IntegrityError; a
# transient failure worth a retry: OperationalError and DBAPIError's connection errors) are imported
# from here: nothing above storage imports SQLAlchemy (the import-linter contract in pyproject.toml).


def safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`, tuned for its dialect."""
    if url.startswith("sqlite"):
        database = _sqlite_file(url)
        if database is not None:
            _prepare_sqlite_file(database)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


# SQLite's companions of the database file: they hold pages of it, so they are as private.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database, an in-memory one or a `file:` URI."""
    if not url.startswith("sqlite"):
        return None
    database = url.split("///", 1)[-1]
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(database: Path) -> None:
    """Create the case DB file 0600 in a 0700 folder, or refuse an existing one others can read."""
    ensure_private_dir(database.parent)
    create_private_file(database)
    _require_private_db(database)


def check_case_db(url: str) -> None:
    """Raise ExposedFileError when the SQLite case DB at `url` (if it exists) is readable by others:
    the check make_engine() makes, for a caller that wants to refuse before doing anything."""
    database = _sqlite_file(url)
    if database is not None:
        _require_private_db(database)


def _require_private_db(database: Path) -> None:
    for suffix in _SQLITE_COMPANIONS:
        require_private(
            Path(f"{database}{suffix}"),
            what_zh="案件数据库文件",
            what_en="case database file",
            fix=f"chmod 600 {database}*",
        )


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine() -> Engine:
    """The engine for the configured database, migrated to the newest schema on first use.

    Thread-safe: the API serves requests from a thread pool, and Alembic's runner is not re-entrant.
    """
    # Every rongju process reaches this before it writes personal data, including a flow run started by
    # a worker rongju did not start: its files (SQLite's -wal, documents, spool) are owner-only too.
    private_umask()
    ensure_data_dir()
    url = get_settings().database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            migrate(engine)
            _engines[url] = engine
    return engine


# Any fixed number: the PostgreSQL advisory lock every rongju process takes while migrating.
_MIGRATION_LOCK_KEY = 7_261_127


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent).

    Several processes may start at once (the CLI, the API, a worker's flow runs): they take a lock
    first — an advisory lock on PostgreSQL, a lock file beside the SQLite database — so one migrates
    and the others then find the schema current.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _process_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _process_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Transaction:
    """One open session and the repositories working in it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cases = Cases(session)
        self.documents = Documents(session)
        self.checks = Checks(session)
        self.reviews = Reviews(session)
        self.review_sessions = ReviewSessions(session)
        self.cards = Cards(session)
        self.deliveries = Deliveries(session)
        self.effects = Effects(session)
        self.counters = Counters(session)
        self.notifications = Notifications(session)
        self.replays = Replays(session)


class UnitOfWork:
    """The case database, one transaction at a time, with the repositories that work in it.

    An entry point (a task, a CLI command, an API route, a test) makes one `UnitOfWork()` — or
    `UnitOfWork(engine)` for another database — and hands it to the service it calls; a service
    that calls another hands its own on. Inside a service:

        with uow:
            case = uow.cases.get(case_id)
            ...
            uow.commit()

    Nothing is saved unless `commit()` is called: leaving the block, normally or by an error, rolls
    back what was not committed. Entering again while a block is open (a service calling another
    inside its transaction) opens a separate transaction for the inner block; the outer one's
    repositories are back when it ends. One UnitOfWork belongs to one thread.
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        self._open: list[_Transaction] = []

    def __enter__(self) -> Self:
        # Rows loaded in a transaction stay readable after commit and after the block ends.
        session = Session(self._engine or get_engine(), expire_on_commit=False)
        self._open.append(_Transaction(session))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        session = self._open.pop().session
        try:
            if exc_type is not None:
                session.rollback()
        finally:
            # Closing ends the transaction, dropping what was not committed, and leaves the loaded
            # rows readable (a rollback would expire them).
            session.close()

    @property
    def _current(self) -> _Transaction:
        if not self._open:
            raise RuntimeError("the unit of work is used outside its `with uow:` block")
        return self._open[-1]

    @property
    def session(self) -> Session:
        return self._current.session

    @property
    def cases(self) -> Cases:
        return self._current.cases

    @property
    def documents(self) -> Documents:
        return self._current.documents

    @property
    def checks(self) -> Checks:
        return self._current.checks

    @property
    def reviews(self) -> Reviews:
        return self._current.reviews

    @property
    def review_sessions(self) -> ReviewSessions:
        return self._current.review_sessions

    @property
    def cards(self) -> Cards:
        return self._current.cards

    @property
    def deliveries(self) -> Deliveries:
        return self._current.deliveries

    @property
    def effects(self) -> Effects:
        return self._current.effects

    @property
    def counters(self) -> Counters:
        return self._current.counters

    @property
    def notifications(self) -> Notifications:
        return self._current.notifications

    @property
    def replays(self) -> Replays:
        return self._current.replays

    def add(self, *rows: Any) -> None:
        for row in rows:
            self.session.add(row)

    def flush(self) -> None:
        """Write what was added so far inside the transaction (rows that others reference first)."""
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
