"""The card centre: hand each card's PDF to the print spool once, and record the centre's
confirmation that the card was made.

The print effect (`print-card:{case}:{version}`, owed since the card was numbered) is claimed before
the file is written (services/effects.py). The file is named by the card number and written
temp-then-rename, so a writer killed between the file and its record is finished by the next one
writing the same bytes under the same name; a `done` effect is never repeated (the card centre may
already have taken the file away). The day's batch manifest is rewritten from the case DB.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, update
from sqlmodel import col, select

from models.card import CardFace
from models.tables import CardIssue, Delivery, utcnow
from services.card_issue import PRINT_CARD, ProductionError, case_row, issue_of
from services.effects import bump, effect_done, effect_key, finish_effect, hold_effect
from services.faults import fault_point
from storage.db import unit_of_work
from storage.documents import get_document_store
from storage.spool import get_print_spool


def spool_card(
    case_id: str, engine: Engine | None = None, *, reconcile_before: datetime | None = None
) -> Path | None:
    """Hand the card's PDF to the card centre (exactly one spool entry per card).

    Returns the spool file, or None when it had been handed over before (or, reconciling, when
    another process is writing it). `reconcile_before`: called by reconcile — take the effect only
    if it is pending since before then or its writer's claim has lapsed, and never wait.
    """
    from printing.card import render_card_pdf

    with unit_of_work(engine) as uow:
        case = case_row(uow.session, case_id)
        issue = issue_of(uow.session, case)
        if issue is None:
            raise ProductionError(f"case {case_id} has no card number yet")
        key = effect_key(PRINT_CARD, case_id, issue.card_version)
        if effect_done(uow.session, key):
            return None
    face = CardFace.model_validate(issue.face)
    pdf = render_card_pdf(face, _photo_bytes(issue.photo_hash))
    spool = get_print_spool()
    owner = hold_effect(key, engine, reconcile_before=reconcile_before)
    if owner is None:
        return None
    fault_point("spool_card:before_write")
    path = spool.put_card(issue.card_no, pdf)
    fault_point("spool_card:after_write")
    with unit_of_work(engine) as uow:
        # The manifest lock comes first: writers of one day's batch take turns, so none of them
        # rewrites the manifest without a card another has just added.
        bump(uow.session, f"print-manifest:{issue.issued_on.isoformat()}")
        if not finish_effect(uow, key, owner):
            return None
        case = case_row(uow.session, case_id)
        stored = issue_of(uow.session, case)
        assert stored is not None
        if stored.spooled_at is None:
            stored.spooled_at = utcnow()
            uow.add(stored)
        uow.session.flush()
        spooled = uow.session.exec(
            select(CardIssue)
            .where(CardIssue.issued_on == issue.issued_on, col(CardIssue.spooled_at).is_not(None))
            .order_by(col(CardIssue.card_no))
        ).all()
        spool.write_manifest(
            issue.issued_on,
            [
                (c.card_no, c.case_id, c.card_version, c.bureau, c.issued_on.isoformat(), f"{c.card_no}.pdf")
                for c in spooled
            ],
        )
        fault_point("spool_card:before_record")
        uow.commit()
    return path


def _photo_bytes(content: str | None) -> bytes | None:
    """The applicant's photo, decoded under limits and re-encoded (never the raw upload)."""
    from documents.safe_image import decode_image

    if content is None:
        return None
    decoded = decode_image(get_document_store().get(content))
    return getattr(decoded, "reencoded", None)


# ---------------------------------------------------------------------------------- confirmations


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation command did with each number it was given."""

    confirmed: list[str]  # case ids newly confirmed
    already: list[str]  # case ids confirmed before (nothing changed)
    unknown: list[str]  # numbers rongju does not know (reported, never guessed)


def confirm_cards_produced(card_nos: Iterable[str], engine: Engine | None = None) -> Confirmation:
    """Record the card centre's confirmation that these cards were made."""
    numbers = (n.strip() for n in card_nos)
    return confirm_each(numbers, CardIssue, "card_no", "produced_at", engine)


def confirm_each(
    numbers: Iterable[str],
    table: type[CardIssue] | type[Delivery],
    number: str,
    stamp: str,
    engine: Engine | None,
) -> Confirmation:
    """Stamp each row found by its number once (a conditional UPDATE): newly, before, or unknown."""
    confirmed: list[str] = []
    already: list[str] = []
    unknown: list[str] = []
    for value in dict.fromkeys(n for n in numbers if n):
        with unit_of_work(engine) as uow:
            result = uow.session.exec(
                update(table)
                .where(getattr(table, number) == value, getattr(table, stamp).is_(None))
                .values({stamp: utcnow()})
            )
            found = uow.session.exec(select(table).where(getattr(table, number) == value)).first()
            row = cast("CardIssue | Delivery | None", found)
            uow.commit()
        if row is None:
            unknown.append(value)
        elif result.rowcount == 1:
            confirmed.append(row.case_id)
        else:
            already.append(row.case_id)
    return Confirmation(confirmed, already, unknown)


def read_production_manifest(path: Path) -> list[str]:
    """Card numbers from a manifest the card centre returns (a CSV with a card_no column)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "card_no" not in reader.fieldnames:
            raise ProductionError(f"{path.name}: 缺少 card_no 列 no card_no column")
        return [row["card_no"] for row in reader if row.get("card_no")]
