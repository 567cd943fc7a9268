"""Fresh databases on the real PostgreSQL server this machine kind runs on localhost (never a mock)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG_ADMIN_DSN = os.environ.get("RONGJU_TEST_PG_ADMIN", "postgresql://postgres@localhost:5432/postgres")


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty database (`postgresql://…/{prefix}_{random}`), dropped when the block ends."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    host_part = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql://{host_part}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
