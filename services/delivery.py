"""Delivery: the produced card goes out — an EMS waybill and label, or a pickup code at the station —
and the case closes (办结) once EMS or the station counter reports the handover.

Waybill serials come from one counter bumped in the transaction that stores the delivery (a racing
run's transaction fails on the unique constraint). The label effect (`mail-label:{case}:{version}`)
is owed in that same transaction and claimed before its file is written (services/effects.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from config.production import load_production
from config.settings import today
from models.card import MailLabel, s10_waybill
from models.status import CaseStatus
from models.tables import Delivery
from services.card_issue import ProductionError
from services.card_spool import Confirmation, confirm_each
from services.effects import effect_key, finish_effect, hold_effect
from services.faults import fault_point
from services.processing import SYSTEM, applicant_notice
from storage.db import IntegrityError, UnitOfWork
from storage.spool import get_mail_room

MAIL_LABEL = "mail_label"


class PickupRefused(ProductionError):
    """The pickup code does not match the case's card (nothing recorded)."""


def dispatch_card(case_id: str, uow: UnitOfWork, *, on: date | None = None) -> CaseStatus:
    """The produced card goes out: a waybill (已寄出) or a pickup code at the station (待领取).

    The delivery row, the status change, the applicant's notice and (for mail) the pending label
    effect are one transaction; a second run finds the delivery and changes nothing.
    """
    from config.city import load_city

    day = on or today()
    production = load_production()
    try:
        with uow:
            if not uow.cases.claim_in_status(case_id, CaseStatus.IN_PRODUCTION):
                uow.rollback()
                return CaseStatus(uow.cases.get(case_id).status)
            case = uow.cases.get(case_id)
            issue = uow.cards.current(case)
            if issue is None or issue.produced_at is None:
                raise ProductionError(f"case {case_id}: the card centre has not confirmed the card")
            extra: dict[str, str]
            if case.delivery_method == "mail":
                serial = uow.counters.bump("waybill")
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
                uow.effects.ensure(case.id, case.card_version, MAIL_LABEL, payload={"waybill_no": waybill})
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
        with uow:
            return CaseStatus(uow.cases.get(case_id).status)


def print_mail_label(
    case_id: str, uow: UnitOfWork, *, reconcile_before: datetime | None = None
) -> Path | None:
    """Print the EMS label and put the card on the day's mailing manifest (once per waybill).

    Claimed like spool_card: None when done before (or, reconciling, being written elsewhere)."""
    from config.city import load_city
    from printing.label import render_mail_label_pdf

    with uow:
        case = uow.cases.get(case_id)
        delivery = uow.deliveries.current(case)
        issue = uow.cards.current(case)
        if delivery is None or delivery.method != "mail" or delivery.waybill_no is None or issue is None:
            raise ProductionError(f"case {case_id} has no waybill")
        key = effect_key(MAIL_LABEL, case_id, case.card_version)
        if uow.effects.done(key):
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
    owner = hold_effect(key, uow, reconcile_before=reconcile_before)
    if owner is None:
        return None
    fault_point("print_label:before_write")
    path = mail_room.put_label(delivery.waybill_no, pdf)
    fault_point("print_label:after_write")
    day = delivery.dispatched_on or today()
    with uow:
        uow.counters.bump(f"mail-manifest:{day.isoformat()}")
        if not finish_effect(key, owner, uow):
            return None
        uow.flush()
        rows = uow.deliveries.labelled_on(day, MAIL_LABEL)
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


# ------------------------------------------------------------------------------------ handover


def confirm_delivered(waybill_nos: Iterable[str], uow: UnitOfWork) -> Confirmation:
    """Record EMS's delivery confirmation for these waybills (as typed: case and spaces ignored)."""
    numbers = (n.strip().upper() for n in waybill_nos)
    return confirm_each(numbers, lambda waybill_no: uow.deliveries.confirm_delivered(waybill_no), uow)


def confirm_picked_up(case_id: str, pickup_code: str, uow: UnitOfWork) -> bool:
    """Record that the applicant collected the card at the station. True if newly recorded."""
    with uow:
        case = uow.cases.get(case_id)
        delivery = uow.deliveries.current(case)
        if delivery is None or delivery.method != "pickup":
            raise PickupRefused(
                f"案件 {case_id} 没有待领取的证件。 Case {case_id} has no card awaiting pickup."
            )
        if not secrets.compare_digest(delivery.pickup_code or "", pickup_code.strip()):
            raise PickupRefused("取件码不正确。 The pickup code does not match.")
        newly = uow.deliveries.claim_handed_over(delivery)
        uow.commit()
        return newly


def complete_case(case_id: str, uow: UnitOfWork) -> CaseStatus:
    """办结: the card has reached the applicant (delivered or picked up)."""
    with uow:
        claimed = uow.cases.claim_in_status(case_id, CaseStatus.MAILED, CaseStatus.AWAITING_PICKUP)
        case = uow.cases.get(case_id)
        if not claimed:
            uow.rollback()
            return CaseStatus(case.status)
        delivery = uow.deliveries.current(case)
        if delivery is None or delivery.handed_over_at is None:
            raise ProductionError(f"case {case_id}: the card has not reached the applicant yet")
        how = "已送达 delivered by EMS" if delivery.method == "mail" else "已领取 picked up at the station"
        uow.add(case.advance(CaseStatus.DONE, actor=SYSTEM, reason=how))
        uow.add(case)
        uow.add(applicant_notice(case, CaseStatus.DONE, f"v{case.card_version}", [], []))
        uow.commit()
        return CaseStatus.DONE
