"""Deliveries: how each produced card reaches the applicant (waybill or pickup code)."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select, update

from models.tables import CardIssue, Case, Delivery, SideEffect, utcnow
from storage.repositories.base import Repository
from storage.repositories.effects import DONE


class Deliveries(Repository):
    def current(self, case: Case) -> Delivery | None:
        """How the case's current card reaches the applicant, once dispatched."""
        return self._session.exec(
            select(Delivery).where(Delivery.case_id == case.id, Delivery.card_version == case.card_version)
        ).first()

    def labelled_on(self, day: date, label_kind: str) -> list[tuple[Delivery, Case, CardIssue]]:
        """The mail dispatched on `day` whose label effect (`label_kind`) is done, with its case and
        card, by waybill number (the day's mailing manifest)."""
        return [
            (delivery, case, issue)
            for delivery, case, issue in self._session.exec(
                select(Delivery, Case, CardIssue)
                .join(Case, col(Case.id) == col(Delivery.case_id))
                .join(
                    CardIssue,
                    (col(CardIssue.case_id) == col(Delivery.case_id))
                    & (col(CardIssue.card_version) == col(Delivery.card_version)),
                )
                .join(
                    SideEffect,
                    (col(SideEffect.case_id) == col(Delivery.case_id)) & (col(SideEffect.kind) == label_kind),
                )
                .where(Delivery.dispatched_on == day, SideEffect.state == DONE)
                .order_by(col(Delivery.waybill_no))
            )
        ]

    def confirm_delivered(self, waybill_no: str) -> tuple[str, bool] | None:
        """Stamp the mailing handed over by EMS, once: (its case, True when stamped now and not
        before); None when no delivery has that waybill."""
        newly = self._claim(
            update(Delivery)
            .where(col(Delivery.waybill_no) == waybill_no, col(Delivery.handed_over_at).is_(None))
            .values(handed_over_at=utcnow())
        )
        delivery = self._session.exec(select(Delivery).where(Delivery.waybill_no == waybill_no)).first()
        return None if delivery is None else (delivery.case_id, newly)

    def claim_handed_over(self, delivery: Delivery) -> bool:
        """Stamp the delivery handed over (picked up at the station) unless it was before."""
        return self._claim(
            update(Delivery)
            .where(col(Delivery.id) == delivery.id, col(Delivery.handed_over_at).is_(None))
            .values(handed_over_at=utcnow())
        )
