"""Card production and delivery: print the card, mail it or hold it for pickup, close the case.

Printing and mailing happen in the real world, so each effect carries a durable key
(`print-card:{case}:{version}`, `mail-label:{case}:{version}`) recorded in `side_effect` with a
unique constraint *before* the effect, in the same transaction as the decision that calls for it.
The effect itself writes a file named by its key's number (card number, waybill number), so doing
it again after a crash between the effect and its record replaces the file with the same bytes:
whatever retries, replays, duplicate runs or kills happen, each card has one spool entry, one
waybill and one notice per status. A `done` effect is never repeated (the card centre may already
have taken the file away).

Effects are claimed before they are written: a conditional UPDATE moves the effect pending ->
writing with an owner (host:pid:token) and a lease (EFFECT_LEASE), and the writer records writing ->
done only while it still owns it. Of a live run and `rongju reconcile` racing on one card exactly one
writes. Anyone may take over a claim whose lease ended, or whose owner ran on this machine and its
process is gone (a run killed mid-write is carried on at once by its replay); a run finding a live
writer waits for it to finish rather than writing the file too.

Numbers are allocated once: card numbers from a counter per bureau and year, waybills from one
counter, inside the transaction that stores them (a racing run's transaction fails on the unique
constraint and rolls its counter bump back with it).

SQLite note: every transaction that will write starts with a write (the counter or a conditional
UPDATE), so it takes the write lock first and waits on the busy timeout instead of failing on a
stale read snapshot.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from config.production import load_production
from config.settings import today
from models.card import CardFace, MailLabel, s10_waybill
from models.checks.requirements import load_requirements
from models.id_number import birth_date_of, sex_of
from models.package import DocumentKind
from models.status import CaseStatus
from models.tables import CardIssue, Case, Counter, Delivery, Document, SideEffect, utcnow
from services.assessment import CaseNotFound
from services.faults import fault_point
from services.processing import SYSTEM, applicant_notice
from storage.db import UnitOfWork, unit_of_work
from storage.documents import get_document_store
from storage.spool import get_mail_room, get_print_spool

log = logging.getLogger(__name__)

PRINT_CARD = "print_card"
MAIL_LABEL = "mail_label"
CARD_FEE = "card_fee"

# How long a writer's claim on a print or label effect holds. Writing one PDF and its manifest takes
# well under a second; a writer that died without a trace elsewhere keeps the effect this long.
EFFECT_LEASE = timedelta(minutes=2)
_CLAIM_POLL_SECONDS = 0.2


class ProductionError(RuntimeError):
    """A production or delivery step asked for something the case is not ready for."""


class NextStep(StrEnum):
    """Where a case in production or delivery stands: what the flow does next."""

    ALLOCATE_CARD = "allocate_card"  # number the card and fix its face
    SPOOL_CARD = "spool_card"  # hand the PDF to the card centre
    AWAIT_PRODUCTION = "await_production"  # the card centre has not confirmed yet
    DISPATCH = "dispatch"  # waybill or pickup code, status 已寄出 / 待领取
    PRINT_LABEL = "print_label"  # the EMS label and manifest (mail only)
    AWAIT_HANDOVER = "await_handover"  # not yet delivered / picked up
    COMPLETE = "complete"  # 办结
    NOTHING = "nothing"  # not in production or delivery


def effect_key(kind: str, case_id: str, card_version: int) -> str:
    """The durable key of a side effect: case id + card version + effect kind."""
    return f"{kind.replace('_', '-')}:{case_id}:{card_version}"


# ------------------------------------------------------------------------------------------ state


def next_step(case_id: str, engine: Engine | None = None) -> NextStep:
    """What the case needs next in production and delivery, read from the case DB."""
    with unit_of_work(engine) as uow:
        case = _case(uow.session, case_id)
        status = CaseStatus(case.status)
        if status not in (CaseStatus.IN_PRODUCTION, CaseStatus.MAILED, CaseStatus.AWAITING_PICKUP):
            return NextStep.NOTHING
        issue = _issue(uow.session, case)
        delivery = _delivery(uow.session, case)
        effects = _effects(uow.session, case)
    if status is CaseStatus.IN_PRODUCTION:
        if issue is None:
            return NextStep.ALLOCATE_CARD
        if effects.get(PRINT_CARD) != "done":
            return NextStep.SPOOL_CARD
        if issue.produced_at is None:
            return NextStep.AWAIT_PRODUCTION
        return NextStep.DISPATCH
    if delivery is not None and delivery.method == "mail" and effects.get(MAIL_LABEL) != "done":
        return NextStep.PRINT_LABEL
    if delivery is None or delivery.handed_over_at is None:
        return NextStep.AWAIT_HANDOVER
    return NextStep.COMPLETE


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


def card_of(case_id: str, engine: Engine | None = None) -> CardView | None:
    with unit_of_work(engine) as uow:
        case = _case(uow.session, case_id)
        issue = _issue(uow.session, case)
    if issue is None:
        return None
    return _view(issue)


def _view(issue: CardIssue) -> CardView:
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


# ----------------------------------------------------------------------------- card allocation


def allocate_card(case_id: str, *, on: date | None = None, engine: Engine | None = None) -> CardView:
    """Number the case's card and fix what it prints (once per case and card version).

    A reissue (补领/换领) first records its card fee as paid — the portal collects it before it
    submits — so production never starts on an unpaid card.
    """
    day = on or today()
    with unit_of_work(engine) as uow:
        case = _case(uow.session, case_id)
        existing = _issue(uow.session, case)
        if existing is not None:
            return _view(existing)
        if CaseStatus(case.status) is not CaseStatus.IN_PRODUCTION:
            raise ProductionError(f"case {case_id} is {case.status}, not in production")
        if not case.bureau:
            raise ProductionError(f"case {case_id} has no issuing bureau (not routed)")
        version, bureau = case.card_version, case.bureau
    # OCR outside the transaction: it takes a second and holds no lock.
    ethnicity, hukou_address = _id_card_details(case_id, engine)
    photo_hash = _current_document_hash(case_id, DocumentKind.PHOTO, engine)
    production = load_production()
    for _attempt in range(3):
        try:
            with unit_of_work(engine) as uow:
                seq = _bump(uow.session, f"card:{bureau}:{day.year}")
                case = _case(uow.session, case_id)
                fee = production.fee_for(case.business_type)
                if fee:
                    _ensure_effect(
                        uow.session, case, CARD_FEE, state="done", payload={"amount_yuan": fee, "paid": True}
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
                _ensure_effect(uow.session, case, PRINT_CARD, payload={"card_no": face.card_no})
                uow.commit()
                return _view(issue)
        except IntegrityError:
            # Another run of this case numbered the card first (its number stands, our counter bump
            # rolled back), or two first users of a new counter collided: then simply try again.
            with unit_of_work(engine) as uow:
                stored = _issue(uow.session, _case(uow.session, case_id))
            if stored is not None:
                return _view(stored)
    raise ProductionError(f"case {case_id}: could not allocate a card number after 3 attempts")


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _id_card_details(case_id: str, engine: Engine | None) -> tuple[str, str]:
    """民族 and 户口地址 as read from the ID card *and verified*; "" where they could not be.

    The shared data has neither, so the card prints what the reviewed ID card says, never a guess:
    民族 from the official list, 住址 read whole (no line of its region lost) whose province /
    prefecture / county are a real division and the case's ID number's region
    (documents.address_verify.card_details). Otherwise the card centre sees them in missing_fields.
    """
    from documents.address_verify import card_details
    from documents.extract.id_front import read_id_front
    from documents.ocr.config import load_ocr_settings
    from documents.safe_image import decode_image

    content = _current_document_hash(case_id, DocumentKind.ID_FRONT, engine)
    if content is None:
        return "", ""
    decoded = decode_image(get_document_store().get(content))
    if not hasattr(decoded, "bgr"):
        return "", ""
    try:
        reading = read_id_front(decoded.bgr, engine=load_ocr_settings().engine("id_front"))  # type: ignore[union-attr]
    except Exception:  # an OCR failure leaves the fields for the card centre, it does not stop the card
        log.exception("reading the ID card for the card face failed (case %s)", case_id)
        return "", ""
    with unit_of_work(engine) as uow:
        id_number = _case(uow.session, case_id).applicant_id_number
    details = card_details(reading, id_number, load_requirements().ocr_min_confidence)
    if not (details.ethnicity and details.hukou_address):
        log.info("card face of case %s leaves fields to the centre: %s", case_id, "; ".join(details.notes))
    return details.ethnicity, details.hukou_address


def _current_document_hash(case_id: str, kind: DocumentKind, engine: Engine | None) -> str | None:
    with unit_of_work(engine) as uow:
        row = uow.session.exec(
            select(Document)
            .where(Document.case_id == case_id, Document.kind == kind.value, Document.superseded == False)  # noqa: E712
            .order_by(col(Document.id).desc())
        ).first()
        return row.content_hash if row else None


# ------------------------------------------------------------------------------------- spooling


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
        case = _case(uow.session, case_id)
        issue = _issue(uow.session, case)
        if issue is None:
            raise ProductionError(f"case {case_id} has no card number yet")
        if _effects(uow.session, case).get(PRINT_CARD) == "done":
            return None
    face = CardFace.model_validate(issue.face)
    pdf = render_card_pdf(face, _photo_bytes(issue.photo_hash))
    spool = get_print_spool()
    key = effect_key(PRINT_CARD, case_id, issue.card_version)
    owner = _hold_effect(key, engine, reconcile_before=reconcile_before)
    if owner is None:
        return None
    fault_point("spool_card:before_write")
    path = spool.put_card(issue.card_no, pdf)
    fault_point("spool_card:after_write")
    with unit_of_work(engine) as uow:
        # The manifest lock comes first: writers of one day's batch take turns, so none of them
        # rewrites the manifest without a card another has just added.
        _bump(uow.session, f"print-manifest:{issue.issued_on.isoformat()}")
        if not _finish_effect(uow, key, owner):
            _lost(uow, key)
            return None
        case = _case(uow.session, case_id)
        stored = _issue(uow.session, case)
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
    return _confirm_each(numbers, CardIssue, "card_no", "produced_at", engine)


def _confirm_each(
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
            result = uow.session.exec(  # type: ignore[call-overload]
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


def confirm_delivered(waybill_nos: Iterable[str], engine: Engine | None = None) -> Confirmation:
    """Record EMS's delivery confirmation for these waybills (as typed: case and spaces ignored)."""
    numbers = (n.strip().upper() for n in waybill_nos)
    return _confirm_each(numbers, Delivery, "waybill_no", "handed_over_at", engine)


class PickupRefused(ProductionError):
    """The pickup code does not match the case's card (nothing recorded)."""


def confirm_picked_up(case_id: str, pickup_code: str, engine: Engine | None = None) -> bool:
    """Record that the applicant collected the card at the station. True if newly recorded."""
    with unit_of_work(engine) as uow:
        case = _case(uow.session, case_id)
        delivery = _delivery(uow.session, case)
        if delivery is None or delivery.method != "pickup":
            raise PickupRefused(
                f"案件 {case_id} 没有待领取的证件。 Case {case_id} has no card awaiting pickup."
            )
        if not secrets.compare_digest(delivery.pickup_code or "", pickup_code.strip()):
            raise PickupRefused("取件码不正确。 The pickup code does not match.")
        result = uow.session.exec(  # type: ignore[call-overload]
            update(Delivery)
            .where(col(Delivery.id) == delivery.id, col(Delivery.handed_over_at).is_(None))
            .values(handed_over_at=utcnow())
        )
        uow.commit()
        return bool(result.rowcount == 1)


# ------------------------------------------------------------------------------------- delivery


def dispatch_card(case_id: str, *, on: date | None = None, engine: Engine | None = None) -> CaseStatus:
    """The produced card goes out: a waybill (已寄出) or a pickup code at the station (待领取).

    The delivery row, the status change, the applicant's notice and (for mail) the pending label
    effect are one transaction; a second run finds the delivery and changes nothing.
    """
    from config.city import load_city

    day = on or today()
    production = load_production()
    try:
        with unit_of_work(engine) as uow:
            claimed = uow.session.exec(  # type: ignore[call-overload]
                update(Case)
                .where(col(Case.id) == case_id, col(Case.status) == CaseStatus.IN_PRODUCTION.value)
                .values(updated_at=utcnow())
            )
            if claimed.rowcount != 1:
                uow.rollback()
                return CaseStatus(_case(uow.session, case_id).status)
            case = _case(uow.session, case_id)
            issue = _issue(uow.session, case)
            if issue is None or issue.produced_at is None:
                raise ProductionError(f"case {case_id}: the card centre has not confirmed the card")
            extra: dict[str, str]
            if case.delivery_method == "mail":
                serial = _bump(uow.session, "waybill")
                waybill = s10_waybill(
                    production.waybill.service_indicator, serial, production.waybill.country
                )
                delivery = Delivery(
                    case_id=case_id,
                    card_version=case.card_version,
                    method="mail",
                    waybill_no=waybill,
                    dispatched_on=day,
                )
                target = CaseStatus.MAILED
                extra = {"waybill_no": waybill}
                reason = f"EMS 寄出 mailed, waybill {waybill}"
                _ensure_effect(uow.session, case, MAIL_LABEL, payload={"waybill_no": waybill})
            else:
                station = load_city().station(case.station_id) if case.station_id else None
                code = "".join(secrets.choice("0123456789") for _ in range(production.pickup.code_digits))
                delivery = Delivery(
                    case_id=case_id,
                    card_version=case.card_version,
                    method="pickup",
                    pickup_code=code,
                    station_id=case.station_id,
                    dispatched_on=day,
                )
                target = CaseStatus.AWAITING_PICKUP
                extra = {
                    "pickup_code": code,
                    "station_address": station.address if station else "",
                    "station_hours": station.office_hours if station else "",
                }
                reason = f"待领取 ready for pickup at {case.station_id}"
            uow.add(delivery)
            uow.add(case.advance(target, actor=SYSTEM, reason=reason))
            uow.add(case)
            uow.add(applicant_notice(case, target, f"v{case.card_version}", [], [], **extra))
            fault_point("dispatch_card:before_record")
            uow.commit()
            return target
    except IntegrityError:
        with unit_of_work(engine) as uow:
            return CaseStatus(_case(uow.session, case_id).status)


def print_mail_label(
    case_id: str, engine: Engine | None = None, *, reconcile_before: datetime | None = None
) -> Path | None:
    """Print the EMS label and put the card on the day's mailing manifest (once per waybill).

    Claimed like spool_card: None when done before (or, reconciling, being written elsewhere)."""
    from config.city import load_city
    from printing.label import render_mail_label_pdf

    with unit_of_work(engine) as uow:
        case = _case(uow.session, case_id)
        delivery = _delivery(uow.session, case)
        issue = _issue(uow.session, case)
        if delivery is None or delivery.method != "mail" or delivery.waybill_no is None or issue is None:
            raise ProductionError(f"case {case_id} has no waybill")
        if _effects(uow.session, case).get(MAIL_LABEL) == "done":
            return None
    station = load_city().station(case.station_id) if case.station_id else None
    label = MailLabel(
        waybill_no=delivery.waybill_no,
        recipient_name=case.delivery_recipient or case.applicant_name,
        recipient_phone=case.delivery_phone or case.applicant_phone,
        recipient_address=case.delivery_address or case.residence_address,
        sender_name=f"{issue.bureau}{station.name if station else ''}",
        sender_address=station.address if station else issue.bureau,
        sender_phone=station.phone if station else "028-12345678",
        case_id=case_id,
    )
    mail_room = get_mail_room()
    pdf = render_mail_label_pdf(label)
    key = effect_key(MAIL_LABEL, case_id, case.card_version)
    owner = _hold_effect(key, engine, reconcile_before=reconcile_before)
    if owner is None:
        return None
    fault_point("print_label:before_write")
    path = mail_room.put_label(delivery.waybill_no, pdf)
    fault_point("print_label:after_write")
    day = delivery.dispatched_on or today()
    with unit_of_work(engine) as uow:
        _bump(uow.session, f"mail-manifest:{day.isoformat()}")
        if not _finish_effect(uow, key, owner):
            _lost(uow, key)
            return None
        uow.session.flush()
        rows = uow.session.exec(
            select(Delivery, Case, CardIssue)
            .join(Case, col(Case.id) == col(Delivery.case_id))
            .join(
                CardIssue,
                (col(CardIssue.case_id) == col(Delivery.case_id))
                & (col(CardIssue.card_version) == col(Delivery.card_version)),
            )
            .join(
                SideEffect,
                (col(SideEffect.case_id) == col(Delivery.case_id)) & (col(SideEffect.kind) == MAIL_LABEL),
            )
            .where(Delivery.dispatched_on == day, SideEffect.state == "done")
            .order_by(col(Delivery.waybill_no))
        ).all()
        mail_room.write_manifest(
            day,
            [
                (
                    d.waybill_no,
                    c.id,
                    i.card_no,
                    c.delivery_recipient or c.applicant_name,
                    c.delivery_phone or c.applicant_phone,
                    c.delivery_address or c.residence_address,
                    f"labels/{d.waybill_no}.pdf",
                )
                for d, c, i in rows
            ],
        )
        uow.commit()
    return path


def complete_case(case_id: str, engine: Engine | None = None) -> CaseStatus:
    """办结: the card has reached the applicant (delivered or picked up)."""
    with unit_of_work(engine) as uow:
        claimed = uow.session.exec(  # type: ignore[call-overload]
            update(Case)
            .where(
                col(Case.id) == case_id,
                col(Case.status).in_([CaseStatus.MAILED.value, CaseStatus.AWAITING_PICKUP.value]),
            )
            .values(updated_at=utcnow())
        )
        case = _case(uow.session, case_id)
        if claimed.rowcount != 1:
            uow.rollback()
            return CaseStatus(case.status)
        delivery = _delivery(uow.session, case)
        if delivery is None or delivery.handed_over_at is None:
            raise ProductionError(f"case {case_id}: the card has not reached the applicant yet")
        how = "已送达 delivered by EMS" if delivery.method == "mail" else "已领取 picked up at the station"
        uow.add(case.advance(CaseStatus.DONE, actor=SYSTEM, reason=how))
        uow.add(case)
        uow.add(applicant_notice(case, CaseStatus.DONE, f"v{case.card_version}", [], []))
        uow.commit()
        return CaseStatus.DONE


# -------------------------------------------------------------------------------------- helpers


def _case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id, populate_existing=True)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def _issue(session: Session, case: Case) -> CardIssue | None:
    return session.exec(
        select(CardIssue).where(CardIssue.case_id == case.id, CardIssue.card_version == case.card_version)
    ).first()


def _delivery(session: Session, case: Case) -> Delivery | None:
    return session.exec(
        select(Delivery).where(Delivery.case_id == case.id, Delivery.card_version == case.card_version)
    ).first()


def _effects(session: Session, case: Case) -> dict[str, str]:
    """kind -> state of the case's side effects for its current card version."""
    keys = {effect_key(kind, case.id, case.card_version): kind for kind in (PRINT_CARD, MAIL_LABEL, CARD_FEE)}
    rows = session.exec(select(SideEffect).where(col(SideEffect.key).in_(list(keys)))).all()
    return {keys[row.key]: row.state for row in rows}


def _ensure_effect(
    session: Session, case: Case, kind: str, *, state: str = "pending", payload: dict[str, object]
) -> None:
    """Record that an effect is owed (or, for a fee, has happened), unless it is recorded already."""
    key = effect_key(kind, case.id, case.card_version)
    if session.exec(select(SideEffect).where(SideEffect.key == key)).first() is None:
        session.add(
            SideEffect(
                key=key,
                case_id=case.id,
                kind=kind,
                state=state,
                payload=payload,
                done_at=utcnow() if state == "done" else None,
            )
        )


# ------------------------------------------------------------------------- claiming an effect


def _owner_token() -> str:
    """Who writes an effect: this machine, this process, and a token of this attempt."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _owner_gone(owner: str | None) -> bool:
    """True when the claim's owner ran on this machine and its process no longer exists."""
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _takeable(effect: SideEffect, now: datetime, reconcile_before: datetime | None) -> bool:
    """Whether this process may claim the effect now."""
    if effect.state == "pending":
        # Reconcile leaves fresh pending effects to the live run that owes them.
        return reconcile_before is None or _aware(effect.created_at) <= reconcile_before
    if effect.state != "writing":
        return False
    lapsed = effect.lease_until is None or _aware(effect.lease_until) <= now
    return lapsed or _owner_gone(effect.owner)


def _claim_effect(key: str, engine: Engine | None, reconcile_before: datetime | None) -> str | None:
    """pending -> writing for this process (or a lapsed claim taken over), committed at once.

    Compare-and-set on the state and owner read: of two claimants exactly one matches. Returns the
    owner token, or None when the effect is done, missing or someone else's to write."""
    now = utcnow()
    with unit_of_work(engine) as uow:
        effect = uow.session.exec(select(SideEffect).where(SideEffect.key == key)).first()
        if effect is None or not _takeable(effect, now, reconcile_before):
            return None
        owner = _owner_token()
        same_owner = (
            col(SideEffect.owner).is_(None) if effect.owner is None else col(SideEffect.owner) == effect.owner
        )
        claimed = uow.claim(
            update(SideEffect)
            .where(col(SideEffect.key) == key, col(SideEffect.state) == effect.state, same_owner)
            .values(state="writing", owner=owner, lease_until=now + EFFECT_LEASE)
        )
        if not claimed:
            return None
        uow.commit()
    if effect.state == "writing":
        log.warning("effect %s: took over a lapsed claim", key)
    return owner


def _hold_effect(key: str, engine: Engine | None, *, reconcile_before: datetime | None) -> str | None:
    """Claim the effect; a run (not reconcile) finding a live writer waits until that writer is done
    (None) or its claim lapses (then takes it over)."""
    deadline = time.monotonic() + EFFECT_LEASE.total_seconds() + 30
    while True:
        owner = _claim_effect(key, engine, reconcile_before)
        if owner is not None or reconcile_before is not None:
            return owner
        with unit_of_work(engine) as uow:
            effect = uow.session.exec(select(SideEffect).where(SideEffect.key == key)).first()
        if effect is None or effect.state == "done":
            return None
        if time.monotonic() > deadline:
            raise ProductionError(f"effect {key} is held by {effect.owner} beyond its lease")
        time.sleep(_CLAIM_POLL_SECONDS)


def _finish_effect(uow: UnitOfWork, key: str, owner: str) -> bool:
    """writing -> done, only while `owner` still holds the claim."""
    return uow.claim(
        update(SideEffect)
        .where(col(SideEffect.key) == key, col(SideEffect.state) == "writing", col(SideEffect.owner) == owner)
        .values(state="done", done_at=utcnow(), lease_until=None)
    )


def _lost(uow: UnitOfWork, key: str) -> None:
    """Our claim lapsed and another writer took the effect over: it records it, not us."""
    uow.rollback()
    log.warning("effect %s: claim lapsed while writing; left to the writer that took it over", key)


def _bump(session: Session, name: str) -> int:
    """Next value of a named counter; the row stays locked until the transaction ends.

    The row is created on first use with INSERT ... ON CONFLICT DO NOTHING (both databases), so two
    first users of a counter wait for each other instead of one failing on the primary key.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.exec(pg_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())  # type: ignore[call-overload]
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.exec(sqlite_insert(Counter).values(name=name, value=0).on_conflict_do_nothing())  # type: ignore[call-overload]
    session.exec(update(Counter).where(col(Counter.name) == name).values(value=Counter.value + 1))  # type: ignore[call-overload]
    return int(session.exec(select(Counter.value).where(Counter.name == name)).one())


def production_summary(case_id: str, engine: Engine | None = None) -> dict[str, object] | None:
    """Card and delivery of the case's current card, for `rongju status` (no pickup code: that is
    the applicant's to show at the counter)."""
    with unit_of_work(engine) as uow:
        case = _case(uow.session, case_id)
        issue = _issue(uow.session, case)
        if issue is None:
            return None
        delivery = _delivery(uow.session, case)
    return {
        "card_no": issue.card_no,
        "card_version": issue.card_version,
        "issued_on": issue.issued_on.isoformat(),
        "spooled": issue.spooled_at is not None,
        "produced": issue.produced_at is not None,
        "missing_fields": CardFace.model_validate(issue.face).missing_fields(),
        "delivery": delivery.method if delivery else None,
        "waybill_no": delivery.waybill_no if delivery else None,
        "handed_over": bool(delivery and delivery.handed_over_at),
    }


@dataclass(frozen=True)
class Reconciled:
    case_id: str
    effect: str  # print_card | mail_label
    result: str  # what was done (Chinese + English)


def reconcile_pending(
    *, older_than: timedelta = timedelta(minutes=10), engine: Engine | None = None
) -> list[Reconciled]:
    """Finish effects whose record stayed `pending` (a process died between deciding the effect and
    recording it, and no run of the case came back — e.g. the machine was lost and Prefect still
    shows the run as running). Reconcile takes an effect only by the same claim a run takes: one
    pending (unclaimed) for longer than `older_than`, or one being written under a claim that lapsed
    (its lease ended, or its owner ran here and is gone) — never one a live writer holds.
    Status changes stay with the flow (`rongju replay`)."""
    now = utcnow()
    cutoff = now - older_than
    with unit_of_work(engine) as uow:
        candidates = uow.session.exec(
            select(SideEffect)
            .where(
                col(SideEffect.state).in_(["pending", "writing"]),
                col(SideEffect.kind).in_([PRINT_CARD, MAIL_LABEL]),
            )
            .order_by(col(SideEffect.id))
        ).all()
    stale = [effect for effect in candidates if _takeable(effect, now, cutoff)]
    done: list[Reconciled] = []
    for effect in stale:
        try:
            if effect.kind == PRINT_CARD:
                path = spool_card(effect.case_id, engine, reconcile_before=cutoff)
            else:
                path = print_mail_label(effect.case_id, engine, reconcile_before=cutoff)
        except ProductionError as exc:
            done.append(Reconciled(effect.case_id, effect.kind, f"未完成 not finished: {exc}"))
            continue
        what = path.name if path else "此前已完成或另有进程写入 done before or by another writer"
        done.append(Reconciled(effect.case_id, effect.kind, f"已补做 finished: {what}"))
    return done
