"""The card centre: hand each card's PDF to the print spool once, and record the centre's
confirmation that the card was made.

The print effect (`print-card:{case}:{version}`, owed since the card was numbered) is claimed before
the file is written (services/effects.py). The file is named by the card number and written
temp-then-rename, so a writer killed between the file and its record is finished by the next one
writing the same bytes under the same name; a `done` effect is never repeated (the card centre may
already have taken the file away). The day's batch manifest is rewritten from the case DB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from models.card import CardFace
from models.tables import utcnow
from services.card_issue import PRINT_CARD, ProductionError
from services.effects import effect_key, finish_effect, hold_effect
from services.faults import fault_point
from storage.db import UnitOfWork
from storage.documents import get_document_store
from storage.spool import get_print_spool


def spool_card(case_id: str, uow: UnitOfWork, *, reconcile_before: datetime | None = None) -> Path | None:
    """Hand the card's PDF to the card centre (exactly one spool entry per card).

    Returns the spool file, or None when it had been handed over before (or, reconciling, when
    another process is writing it). `reconcile_before`: called by reconcile — take the effect only
    if it is pending since before then or its writer's claim has lapsed, and never wait.
    """
    from printing.card import render_card_pdf

    with uow:
        issue = uow.cards.current(uow.cases.get(case_id))
        if issue is None:
            raise ProductionError(f"case {case_id} has no card number yet")
        key = effect_key(PRINT_CARD, case_id, issue.card_version)
        if uow.effects.done(key):
            return None
    face = CardFace.model_validate(issue.face)
    pdf = render_card_pdf(face, _photo_bytes(issue.photo_hash))
    spool = get_print_spool()
    owner = hold_effect(key, uow, reconcile_before=reconcile_before)
    if owner is None:
        return None
    fault_point("spool_card:before_write")
    path = spool.put_card(issue.card_no, pdf)
    fault_point("spool_card:after_write")
    with uow:
        # The manifest lock comes first: writers of one day's batch take turns, so none of them
        # rewrites the manifest without a card another has just added.
        uow.counters.bump(f"print-manifest:{issue.issued_on.isoformat()}")
        if not finish_effect(key, owner, uow):
            return None
        stored = uow.cards.current(uow.cases.get(case_id))
        assert stored is not None
        if stored.spooled_at is None:
            stored.spooled_at = utcnow()
            uow.add(stored)
        uow.flush()
        spooled = uow.cards.spooled_on(issue.issued_on)
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


def confirm_cards_produced(card_nos: Iterable[str], uow: UnitOfWork) -> Confirmation:
    """Record the card centre's confirmation that these cards were made."""
    numbers = (n.strip() for n in card_nos)
    return confirm_each(numbers, lambda card_no: uow.cards.confirm_produced(card_no), uow)


def confirm_each(
    numbers: Iterable[str], confirm: Callable[[str], tuple[str, bool] | None], uow: UnitOfWork
) -> Confirmation:
    """Stamp each row found by its number once (`confirm`: a conditional UPDATE giving the row's case
    and whether it was stamped now, or None for an unknown number): newly, before, or unknown."""
    confirmed: list[str] = []
    already: list[str] = []
    unknown: list[str] = []
    for value in dict.fromkeys(n for n in numbers if n):
        with uow:
            found = confirm(value)
            uow.commit()
        if found is None:
            unknown.append(value)
        elif found[1]:
            confirmed.append(found[0])
        else:
            already.append(found[0])
    return Confirmation(confirmed, already, unknown)


def read_production_manifest(path: Path) -> list[str]:
    """Card numbers from a manifest the card centre returns (a CSV with a card_no column)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "card_no" not in reader.fieldnames:
            raise ProductionError(f"{path.name}: 缺少 card_no 列 no card_no column")
        return [row["card_no"] for row in reader if row.get("card_no")]
