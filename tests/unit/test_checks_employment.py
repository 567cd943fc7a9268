"""Employment basis: six paid months ending last month; the employer's USCC in the business registry."""

from __future__ import annotations

from datetime import date

import pytest
from check_factories import TODAY, USCC, business, ins, make_uscc, paid_window

from config.city import load_reason_catalogue
from config.requirements import load_requirements
from models.checks.employment import check_employer_business, check_social_insurance, latest_paid_employer
from models.reasons import ReasonCode

REASONS = load_reason_catalogue()

FEED = load_requirements().feed
WINDOW = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]


def _rows(paid: dict[str, bool]) -> list:
    return [ins(month, paid=value) for month, value in paid.items()]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        (paid_window(), None),
        # Exactly six: an earlier unpaid month outside the window does not matter.
        ([ins("2026-04", paid=False), *paid_window()], None),
        # Extra rows for the current month (not due) or a second employer do not matter.
        ([*paid_window(), ins("2026-11"), ins("2026-08", employer=make_uscc("MA61XYWQ0"))], None),
        # A gap in the 6th month back.
        (_rows({m: True for m in WINDOW[1:]}), ReasonCode.SOCIAL_INSURANCE_GAP),
        # An unpaid month.
        (_rows({m: m != "2026-08" for m in WINDOW}), ReasonCode.SOCIAL_INSURANCE_GAP),
        # The latest month not yet booked.
        (_rows({m: True for m in WINDOW[:-1]}), ReasonCode.SOCIAL_INSURANCE_GAP),
        # Nothing in the window at all (old history only).
        (_rows({"2025-01": True, "2025-02": True}), ReasonCode.NO_SOCIAL_INSURANCE),
        ([], ReasonCode.NO_SOCIAL_INSURANCE),
    ],
)
def test_social_insurance(rows: list, reason: ReasonCode | None) -> None:
    outcome = check_social_insurance(rows, TODAY)
    assert outcome.reason is reason
    assert outcome.evidence["window"] == ["2026-05", "2026-10"]


def test_gap_names_the_months() -> None:
    outcome = check_social_insurance(_rows({m: m != "2026-08" for m in WINDOW}), TODAY)
    assert outcome.evidence["unpaid_months"] == ["2026-08"]
    assert "2026-08" in outcome.worded(REASONS).zh


def test_window_at_year_start() -> None:
    rows = [ins(m) for m in ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]]
    assert check_social_insurance(rows, date(2026, 1, 1)).passed


def test_two_rows_for_one_month_count_if_either_is_paid() -> None:
    rows = [*paid_window(), ins("2026-07", paid=False)]
    assert check_social_insurance(rows, TODAY).passed


@pytest.mark.parametrize(
    ("uscc", "record", "reason", "evaluated"),
    [
        (USCC, business("存续"), None, True),
        (USCC, business("在业"), None, True),
        (USCC, business("开业"), None, True),
        (USCC, business("注销"), ReasonCode.BUSINESS_INACTIVE, True),
        (USCC, business("吊销"), ReasonCode.BUSINESS_INACTIVE, True),
        (USCC, business("撤销"), ReasonCode.BUSINESS_INACTIVE, True),
        (USCC, business("迁出"), ReasonCode.BUSINESS_INACTIVE, True),
        (USCC, business("在营"), None, True),  # another registry's word for 存续
        (USCC, business("存续（在营、开业、在册）"), None, True),
        (USCC, business("吊销，未注销"), ReasonCode.BUSINESS_INACTIVE, True),
        # Known as unclear (歇业) or not known at all: a person looks, nothing is decided.
        (USCC, business("歇业"), None, False),
        (USCC, business("正常经营中"), None, False),
        (USCC, None, ReasonCode.BUSINESS_NOT_FOUND, True),
        (USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), None, ReasonCode.BUSINESS_NOT_FOUND, True),
        (None, None, None, False),
    ],
)
def test_employer_business(uscc: str | None, record, reason: ReasonCode | None, evaluated: bool) -> None:
    outcome = check_employer_business(uscc, "labor_contract", record, FEED)
    assert outcome.reason is reason
    assert outcome.evaluated is evaluated


def test_invalid_uscc_is_flagged_in_evidence() -> None:
    bad = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    outcome = check_employer_business(bad, "business_license", business(), FEED)
    assert outcome.evidence["uscc_valid"] is False


def test_latest_paid_employer() -> None:
    other = make_uscc("MA61XYWQ0")
    rows = [ins("2026-09"), ins("2026-10", employer=other), ins("2026-11", paid=False)]
    assert latest_paid_employer(rows) == other
    assert latest_paid_employer([]) is None


def test_unknown_business_status_is_shown_to_the_reviewer() -> None:
    outcome = check_employer_business(USCC, "labor_contract", business("正常经营中"), FEED)
    assert not outcome.evaluated and outcome.reason is None
    assert outcome.evidence["unrecognised"] == {"business_registry.status": ["正常经营中"]}
    assert "正常经营中" in outcome.worded(REASONS).zh


def test_unknown_paid_word_never_decides_the_insurance_check() -> None:
    """A month whose paid flag the feed wrote in a word we do not know (accepted at import as None) is
    neither paid nor a gap: the check goes to a person instead of reporting a gap."""
    rows = [ins(m) for m in ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09")] + [
        ins("2026-10", paid=None)
    ]
    outcome = check_social_insurance(rows, TODAY)
    assert not outcome.evaluated and outcome.reason is None
    assert outcome.evidence["unknown_months"] == ["2026-10"]
