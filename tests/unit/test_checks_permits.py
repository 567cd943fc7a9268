"""Permits: none for a first application, one for the other business types, the endorsement window."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from check_factories import TODAY, permit

from config.city import load_reason_catalogue
from config.requirements import load_requirements
from models.checks.permits import (
    check_card_fee,
    check_endorsement_window,
    check_no_valid_permit,
    check_permit_held,
    endorsement_due,
)
from models.reasons import ReasonCode

REASONS = load_reason_catalogue()

FEED = load_requirements().feed


@pytest.mark.parametrize(
    ("permits", "reason"),
    [
        ([], None),
        ([permit(status="过期")], None),
        ([permit(status="注销")], None),
        ([permit(status="有效")], ReasonCode.ALREADY_HOLDS_PERMIT),
        ([permit(status="注销"), permit(status="有效")], ReasonCode.ALREADY_HOLDS_PERMIT),
        ([permit(status="正常")], ReasonCode.ALREADY_HOLDS_PERMIT),  # another word for 有效
        ([permit(status="已过期")], None),
    ],
)
def test_no_valid_permit(permits: list, reason: ReasonCode | None) -> None:
    outcome = check_no_valid_permit(permits, FEED)
    assert outcome.reason is reason
    if reason:
        assert outcome.evidence["permit_no"].endswith("0001") and "*" in outcome.evidence["permit_no"]


@pytest.mark.parametrize(
    ("permits", "endorse", "reason"),
    [
        ([permit()], False, None),
        ([], False, ReasonCode.PERMIT_NOT_FOUND),
        ([permit(status="注销")], False, ReasonCode.PERMIT_NOT_FOUND),
        ([permit(status="过期")], False, ReasonCode.PERMIT_NOT_FOUND),  # change/reissue need 有效
        ([permit(status="过期")], True, None),  # a lapsed permit can be endorsed late
        ([permit(status="注销")], True, ReasonCode.PERMIT_NOT_FOUND),
        ([permit(status="逾期")], True, None),  # another word for 过期
        ([permit(status="作废")], True, ReasonCode.PERMIT_NOT_FOUND),
    ],
)
def test_permit_held(permits: list, endorse: bool, reason: ReasonCode | None) -> None:
    assert check_permit_held(permits, FEED, "endorse" if endorse else "change").reason is reason


@pytest.mark.parametrize("business", ["endorse", "change", "reissue"])
def test_unknown_permit_status_never_rejects(business: str) -> None:
    """An unknown feed word (active) could mean a valid permit: a reviewer decides, never PERMIT_NOT_FOUND."""
    outcome = check_permit_held([permit(status="active")], FEED, business)
    assert not outcome.evaluated and outcome.reason is None
    assert outcome.evidence["unrecognised"] == {"permits.status": ["active"]}


def test_unknown_permit_status_is_not_a_silent_pass_for_a_new_application() -> None:
    outcome = check_no_valid_permit([permit(status="active")], FEED)
    assert not outcome.evaluated and outcome.reason is None


ISSUED = date(2025, 12, 27)  # first anniversary 2026-12-27; window opens 2026-11-27 (30 days before)


@pytest.mark.parametrize(
    ("today", "reason", "timing"),
    [
        (date(2026, 11, 27), None, "on_time"),  # first day of the window
        (date(2026, 11, 26), ReasonCode.ENDORSEMENT_WINDOW, "early"),  # the day before
        (date(2026, 12, 27), None, "on_time"),  # the anniversary itself
        (date(2026, 12, 28), ReasonCode.ENDORSEMENT_WINDOW, "late"),
        (date(2026, 6, 1), ReasonCode.ENDORSEMENT_WINDOW, "early"),
    ],
)
def test_endorsement_window_edges(today: date, reason: ReasonCode | None, timing: str) -> None:
    outcome = check_endorsement_window(permit(issued_on=ISSUED), today, window_days=30)
    assert outcome.reason is reason
    assert outcome.evidence["timing"] == timing
    assert outcome.evidence["due_on"] == "2026-12-27"


def test_late_endorsement_restarts_the_residence_count() -> None:
    outcome = check_endorsement_window(permit(issued_on=ISSUED), date(2027, 2, 1), window_days=30)
    assert outcome.evidence["residence_count_restarts"] is True
    assert outcome.evidence["days_late"] == 36
    assert "重新计算" in outcome.worded(REASONS).zh


def test_early_says_when_the_window_opens() -> None:
    outcome = check_endorsement_window(permit(issued_on=ISSUED), date(2026, 10, 1), window_days=30)
    assert outcome.evidence["days_early"] == 57
    assert "2026-11-27" in outcome.worded(REASONS).zh


@pytest.mark.parametrize(
    ("issued", "last", "due", "restarted"),
    [
        (date(2023, 3, 10), None, date(2024, 3, 10), False),
        # Endorsed on time before the 2nd anniversary: next due the 3rd anniversary of issue.
        (date(2023, 3, 10), date(2025, 3, 1), date(2026, 3, 10), False),
        # Endorsed on the anniversary itself.
        (date(2023, 3, 10), date(2025, 3, 10), date(2026, 3, 10), False),
        # Endorsed late (two months after the 1st anniversary): count restarts from that day.
        (date(2023, 3, 10), date(2024, 5, 10), date(2025, 5, 10), True),
    ],
)
def test_endorsement_due(issued: date, last: date | None, due: date, restarted: bool) -> None:
    found = endorsement_due(permit(issued_on=issued, last_endorsed_on=last), 30)
    assert (found.due_on, found.restarted) == (due, restarted)
    assert found.opens_on == due - timedelta(days=30)


def test_no_permit_no_window() -> None:
    assert not check_endorsement_window(None, TODAY).evaluated


@pytest.mark.parametrize(("damaged", "kind", "fee"), [(False, "补领", 20), (True, "换领", 25)])
def test_card_fee(damaged: bool, kind: str, fee: int) -> None:
    outcome = check_card_fee(True, damaged, reissue_fee=20, replace_fee=25)
    assert outcome.passed and outcome.evidence["kind"] == kind and outcome.evidence["fee_yuan"] == fee
