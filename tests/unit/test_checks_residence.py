"""Residence registration: in force, continuous, six calendar months; and the calendar it counts with."""

from __future__ import annotations

from datetime import date

import pytest
from check_factories import ADDRESS, TODAY, reg

from config.city import load_reason_catalogue
from models.checks.periods import add_months, months_back
from models.checks.residence import check_residence_period, check_residence_registered, continuous_since
from models.reasons import ReasonCode

REASONS = load_reason_catalogue()


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 5, 15), 6, date(2026, 11, 15)),
        (date(2026, 8, 31), 6, date(2027, 3, 1)),  # no 31 Feb: never shortened to 28 Feb
        (date(2026, 8, 28), 6, date(2027, 2, 28)),
        (date(2027, 8, 29), 6, date(2028, 2, 29)),  # leap year
        (date(2026, 12, 31), 2, date(2027, 3, 1)),
        (date(2026, 3, 31), -1, date(2026, 3, 1)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_months_back_ends_last_month() -> None:
    assert months_back(date(2026, 11, 27), 6) == [
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    assert months_back(date(2026, 2, 1), 3) == ["2025-11", "2025-12", "2026-01"]


@pytest.mark.parametrize(
    ("registered_on", "today", "reason"),
    [
        (date(2026, 5, 27), TODAY, None),  # exactly 6 months
        (date(2026, 5, 28), TODAY, ReasonCode.RESIDENCE_UNDER_6_MONTHS),  # one day short
        (date(2026, 8, 31), date(2027, 2, 28), ReasonCode.RESIDENCE_UNDER_6_MONTHS),
        (date(2026, 8, 31), date(2027, 3, 1), None),
        (date(2026, 8, 28), date(2027, 2, 28), None),
        (date(2020, 1, 1), TODAY, None),
    ],
)
def test_residence_period_boundaries(registered_on: date, today: date, reason: ReasonCode | None) -> None:
    outcome = check_residence_period([reg(registered_on)], today)
    assert outcome.reason is reason
    assert outcome.evidence["reached_on"] == add_months(registered_on, 6).isoformat()


def test_under_six_months_says_when() -> None:
    outcome = check_residence_period([reg(date(2026, 9, 10))], TODAY)
    assert outcome.reason is ReasonCode.RESIDENCE_UNDER_6_MONTHS
    assert "2027-03-10" in outcome.worded(REASONS).zh and "2027-03-10" in outcome.worded(REASONS).en


@pytest.mark.parametrize(
    "regs",
    [
        [],
        [reg(date(2024, 1, 1), date(2026, 1, 1))],  # deregistered
        [reg(date(2024, 1, 1), TODAY)],  # deregistered today
        [reg(date(2026, 12, 1))],  # starts in the future
    ],
)
def test_no_registration(regs: list) -> None:
    assert check_residence_period(regs, TODAY).reason is ReasonCode.NO_RESIDENCE_REGISTRATION
    assert check_residence_registered(regs, TODAY).reason is ReasonCode.NO_RESIDENCE_REGISTRATION


def test_gap_breaks_continuity_but_a_move_does_not() -> None:
    # Left for months and came back: only the new stretch counts.
    gap = [reg(date(2023, 1, 1), date(2026, 3, 1)), reg(date(2026, 7, 1), address="成都市青羊区草市街1号")]
    assert continuous_since(gap, TODAY) == date(2026, 7, 1)
    assert check_residence_period(gap, TODAY).reason is ReasonCode.RESIDENCE_UNDER_6_MONTHS
    # Moved inside Chengdu: deregistered the day before the new registration.
    move = [reg(date(2023, 1, 1), date(2026, 6, 30)), reg(date(2026, 7, 1), address="成都市青羊区草市街1号")]
    assert continuous_since(move, TODAY) == date(2023, 1, 1)
    assert check_residence_period(move, TODAY).passed


def test_evidence_is_masked_and_notes_the_declared_address() -> None:
    outcome = check_residence_period(
        [reg(date(2024, 1, 1))], TODAY, declared_address="成都市武侯区玉林北路12号3栋2单元501室"
    )
    assert outcome.evidence["at_declared_address"] is True
    assert "501" not in str(outcome.evidence["address"])
    assert ADDRESS not in str(outcome.evidence)
