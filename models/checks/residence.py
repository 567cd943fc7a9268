"""Residence registration (居住登记): held, continuous, and long enough."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from models.address import normalise_address
from models.checks.periods import add_months
from models.checks.result import CheckOutcome, failed, passed
from models.masking import mask_address
from models.reasons import ReasonCode
from models.records import ResidenceRegistration

# A move inside Chengdu deregisters the old address and registers the new one, often a day apart.
# The statute asks for residence in the city, not at one address, so such a hand-over keeps the
# period continuous; a longer gap breaks it.
CONTINUITY_GAP_DAYS = 1


def is_active(reg: ResidenceRegistration, today: date) -> bool:
    """Registered on or before today and not deregistered (a deregistration today ends it today)."""
    return reg.registered_on <= today and (reg.deregistered_on is None or reg.deregistered_on > today)


def active_registrations(regs: Sequence[ResidenceRegistration], today: date) -> list[ResidenceRegistration]:
    """The registrations in force today, latest first."""
    return sorted((r for r in regs if is_active(r, today)), key=lambda r: r.registered_on, reverse=True)


def continuous_since(regs: Sequence[ResidenceRegistration], today: date) -> date | None:
    """The first day of the continuous registration that reaches today, or None if none is active.

    Registrations are chained backwards while each earlier one ended no more than CONTINUITY_GAP_DAYS
    before the later one began.
    """
    active = active_registrations(regs, today)
    if not active:
        return None
    since = min(r.registered_on for r in active)
    earlier = sorted((r for r in regs if r.deregistered_on is not None), key=lambda r: r.registered_on)
    changed = True
    while changed:
        changed = False
        for reg in earlier:
            ended = reg.deregistered_on
            if (
                ended is not None
                and reg.registered_on < since
                and ended + timedelta(days=CONTINUITY_GAP_DAYS) >= since
            ):
                since = reg.registered_on
                changed = True
    return since


def _at(reg: ResidenceRegistration, declared_address: str | None) -> bool | None:
    if declared_address is None:
        return None
    return normalise_address(reg.address) == normalise_address(declared_address)


def check_residence_registered(
    regs: Sequence[ResidenceRegistration], today: date, declared_address: str | None = None
) -> CheckOutcome:
    """NO_RESIDENCE_REGISTRATION: a residence registration in Chengdu is in force today."""
    check = "residence_registration"
    active = active_registrations(regs, today)
    if not active:
        return failed(check, ReasonCode.NO_RESIDENCE_REGISTRATION, **_history(regs))
    current = active[0]
    return passed(
        check,
        "居住登记有效。",
        "Residence registration in force.",
        registered_on=current.registered_on.isoformat(),
        address=mask_address(current.address),
        district_code=current.district_code,
        at_declared_address=_at(current, declared_address),
    )


def check_residence_period(
    regs: Sequence[ResidenceRegistration],
    today: date,
    *,
    months: int = 6,
    declared_address: str | None = None,
) -> CheckOutcome:
    """NO_RESIDENCE_REGISTRATION / RESIDENCE_UNDER_6_MONTHS: registered continuously for `months`.

    Held for N months means add_months(since, N) <= today: registered 2026-05-15 qualifies on
    2026-11-15; registered 2026-08-31 qualifies on 2027-03-01 (February has no 31st, and the period
    is never shortened by rounding down to the month's end). `months` comes from the policy
    (min_residence_months); 6 is the statutory value.
    """
    check = "residence_period"
    active = active_registrations(regs, today)
    since = continuous_since(regs, today)
    if not active or since is None:
        return failed(check, ReasonCode.NO_RESIDENCE_REGISTRATION, **_history(regs))
    reached_on = add_months(since, months)
    evidence = {
        "continuous_since": since.isoformat(),
        "required_months": months,
        "reached_on": reached_on.isoformat(),
        "address": mask_address(active[0].address),
        "district_code": active[0].district_code,
        "at_declared_address": _at(active[0], declared_address),
    }
    if today < reached_on:
        return failed(
            check,
            ReasonCode.RESIDENCE_UNDER_6_MONTHS,
            detail_zh=f"{reached_on.isoformat()} 满{months}个月",
            detail_en=f"{months} months reached on {reached_on.isoformat()}",
            **evidence,
        )
    return passed(
        check,
        f"居住登记已连续满{months}个月。",
        f"Registered continuously for at least {months} months.",
        **evidence,
    )


def _history(regs: Sequence[ResidenceRegistration]) -> dict[str, int | str | None]:
    ended = [r.deregistered_on for r in regs if r.deregistered_on is not None]
    return {
        "registrations_on_record": len(regs),
        "last_deregistered_on": max(ended).isoformat() if ended else None,
    }
