"""Card issue: number the case's card once and fix the face it prints.

Card numbers come from a counter per issuing 分局 and year, bumped inside the transaction that stores
the card (`card_issue`, unique card number): a racing run's transaction fails on the unique
constraint and rolls its bump back with it. The print effect is owed from the moment the card
exists (services/effects.py), and a reissue's card fee is recorded as paid in the same transaction.

SQLite note: every transaction that will write starts with a write (the counter), so it takes the
write lock first and waits on the busy timeout instead of failing on a stale read snapshot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from config.production import load_production
from config.requirements import load_requirements
from config.settings import today
from models.card import CardFace
from models.id_number import birth_date_of, sex_of
from models.package import DocumentKind
from models.status import CaseStatus
from models.tables import CardIssue
from services.effects import DONE
from storage.db import IntegrityError, UnitOfWork

log = logging.getLogger(__name__)

PRINT_CARD = "print_card"
CARD_FEE = "card_fee"


class ProductionError(RuntimeError):
    """A production or delivery step asked for something the case is not ready for."""


@dataclass(frozen=True)
class CardView:
    """A card issue as the CLI and tests see it (no personal data)."""

    case_id: str
    card_version: int
    card_no: str
    bureau: str
    issued_on: date
    spooled: bool
    produced: bool
    missing_fields: tuple[str, ...]


def card_of(case_id: str, uow: UnitOfWork) -> CardView | None:
    with uow:
        issue = uow.cards.current(uow.cases.get(case_id))
    if issue is None:
        return None
    return card_view(issue)


def card_view(issue: CardIssue) -> CardView:
    return CardView(
        case_id=issue.case_id,
        card_version=issue.card_version,
        card_no=issue.card_no,
        bureau=issue.bureau,
        issued_on=issue.issued_on,
        spooled=issue.spooled_at is not None,
        produced=issue.produced_at is not None,
        missing_fields=tuple(CardFace.model_validate(issue.face).missing_fields()),
    )


def allocate_card(case_id: str, uow: UnitOfWork, *, on: date | None = None) -> CardView:
    """Number the case's card and fix what it prints (once per case and card version).

    A reissue (补领/换领) first records its card fee as paid — the portal collects it before it
    submits — so production never starts on an unpaid card.
    """
    day = on or today()
    with uow:
        case = uow.cases.get(case_id)
        existing = uow.cards.current(case)
        if existing is not None:
            return card_view(existing)
        if CaseStatus(case.status) is not CaseStatus.IN_PRODUCTION:
            raise ProductionError(f"case {case_id} is {case.status}, not in production")
        if not case.bureau:
            raise ProductionError(f"case {case_id} has no issuing bureau (not routed)")
        version, bureau = case.card_version, case.bureau
    ethnicity, hukou_address = _id_card_details(case_id, uow)
    photo_hash = _current_document_hash(case_id, DocumentKind.PHOTO, uow)
    production = load_production()
    for _attempt in range(3):
        try:
            with uow:
                seq = uow.counters.bump(f"card:{bureau}:{day.year}")
                case = uow.cases.get(case_id)
                fee = production.fee_for(case.business_type)
                if fee:
                    uow.effects.ensure(
                        case.id,
                        case.card_version,
                        CARD_FEE,
                        state=DONE,
                        payload={"amount_yuan": fee, "paid": True},
                    )
                face = CardFace(
                    card_no=production.card_number_for(bureau, day.year, seq),
                    name=case.applicant_name,
                    sex=sex_of(case.applicant_id_number),
                    ethnicity=ethnicity,
                    birth_date=birth_date_of(case.applicant_id_number),
                    id_number=case.applicant_id_number,
                    hukou_address=hukou_address,
                    residence_address=case.residence_address,
                    issuing_authority=bureau,
                    issued_on=day,
                    valid_until=_years_later(day, production.card_valid_years),
                )
                issue = CardIssue(
                    case_id=case_id,
                    card_version=version,
                    card_no=face.card_no,
                    bureau=bureau,
                    issued_on=day,
                    face=face.model_dump(mode="json"),
                    photo_hash=photo_hash,
                )
                uow.add(issue)
                # The print effect is owed from the moment the card exists: a crash from here on is
                # reconciled by the spool step, which finds it pending.
                uow.effects.ensure(case.id, case.card_version, PRINT_CARD, payload={"card_no": face.card_no})
                uow.commit()
                return card_view(issue)
        except IntegrityError:
            # Another run of this case numbered the card first (its number stands, our counter bump
            # rolled back), or two first users of a new counter collided: then simply try again.
            with uow:
                stored = uow.cards.current(uow.cases.get(case_id))
            if stored is not None:
                return card_view(stored)
    raise ProductionError(f"case {case_id}: could not allocate a card number after 3 attempts")


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _id_card_details(case_id: str, uow: UnitOfWork) -> tuple[str, str]:
    """民族 and 户口地址 as read from the ID card *and verified*; "" where they could not be.

    The shared data has neither, so the card prints what the reviewed ID card says, never a guess:
    民族 from the official list, 住址 read whole (no line of its region lost) whose province /
    prefecture / county are a real division and the case's ID number's region
    (documents.address_verify.card_details). Otherwise the card centre sees them in missing_fields.
    The reading is the one the read step stored (DocumentReadout): the card is never numbered
    after a second OCR of the ID card.
    """
    from pydantic import ValidationError

    from documents.address_verify import card_details
    from documents.extract.id_front import IdFrontReading
    from models.checks.facts import Fact, IdFrontFacts

    with uow:
        fronts = uow.documents.current(case_id, DocumentKind.ID_FRONT)
        readout = uow.documents.readout_of(fronts[-1].id) if fronts and fronts[-1].id is not None else None
        id_number = uow.cases.get(case_id).applicant_id_number
    if readout is None or readout.section != "id_front" or readout.facts is None:
        log.info(
            "card face of case %s leaves 民族 and 户口地址 to the centre: the ID card was not read", case_id
        )
        return "", ""
    ethnicity = readout.card_fields.get("ethnicity")
    try:
        reading = IdFrontReading(
            facts=IdFrontFacts.model_validate(readout.facts),
            ethnicity=Fact[str].model_validate(ethnicity) if ethnicity else None,
            address_check=readout.card_fields.get("address_check"),
        )
    except ValidationError:
        # A stored reading this version cannot use (an older reader's shape, a damaged row) is an
        # unread card: the centre sees both fields missing, nothing is guessed and nothing stops.
        log.warning(
            "card face of case %s leaves 民族 and 户口地址 to the centre: stored reading unusable", case_id
        )
        return "", ""
    details = card_details(reading, id_number, load_requirements().ocr_min_confidence)
    if not (details.ethnicity and details.hukou_address):
        log.info("card face of case %s leaves fields to the centre: %s", case_id, "; ".join(details.notes))
    return details.ethnicity, details.hukou_address


def _current_document_hash(case_id: str, kind: DocumentKind, uow: UnitOfWork) -> str | None:
    with uow:
        rows = uow.documents.current(case_id, kind)
    return rows[-1].content_hash if rows else None
