"""What every repository shares: the unit of work's session, and a claim by conditional UPDATE."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Update
from sqlmodel import Session


class Repository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _claim(self, statement: Update) -> bool:
        """Run a conditional UPDATE that claims one row; True when exactly that row matched.

        The statement's WHERE names the state the row must still be in (`status='under_review'`,
        `outcome IS NULL`, `state='pending'`). Of two transactions racing for the row exactly one
        matches: PostgreSQL makes the second wait for the first's row lock and evaluates its WHERE
        again on the committed row; SQLite lets one writer in at a time. The loser must write
        nothing that depends on the claim (roll back, or record only that it lost).
        """
        return self._update(statement) == 1

    def _update(self, statement: Update) -> int:
        """Run an UPDATE; the number of rows it changed."""
        # An UPDATE's result is a CursorResult (it has the row count); the session types it as Result.
        return cast(CursorResult[Any], self._session.execute(statement)).rowcount
