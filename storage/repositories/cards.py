"""Card issues: the numbered card of each case's card version, spooled and produced."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select, update

from models.tables import CardIssue, Case, utcnow
from storage.repositories.base import Repository


class Cards(Repository):
    def current(self, case: Case) -> CardIssue | None:
        """The card issued for the case's current card version, if numbered."""
        return self._session.exec(
            select(CardIssue).where(CardIssue.case_id == case.id, CardIssue.card_version == case.card_version)
        ).first()

    def spooled_on(self, issued_on: date) -> list[CardIssue]:
        """The cards of one issue day handed to the spool so far, by card number (the day's manifest)."""
        return list(
            self._session.exec(
                select(CardIssue)
                .where(CardIssue.issued_on == issued_on, col(CardIssue.spooled_at).is_not(None))
                .order_by(col(CardIssue.card_no))
            )
        )

    def confirm_produced(self, card_no: str) -> tuple[str, bool] | None:
        """Stamp the card made by the card centre, once: (its case, True when stamped now and not
        before); None when no card has that number."""
        newly = self._claim(
            update(CardIssue)
            .where(col(CardIssue.card_no) == card_no, col(CardIssue.produced_at).is_(None))
            .values(produced_at=utcnow())
        )
        issue = self._session.exec(select(CardIssue).where(CardIssue.card_no == card_no)).first()
        return None if issue is None else (issue.case_id, newly)
