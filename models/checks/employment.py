"""Employment basis: six continuous paid months of Chengdu social insurance, and a live employer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from stdnum.cn import uscc as uscc_number

from models.checks.periods import months_back
from models.checks.result import CheckOutcome, failed, not_evaluated, passed, unrecognised
from models.feed_vocabulary import FeedVocabulary
from models.reasons import ReasonCode
from models.records import BusinessRecord, InsuranceMonth


def check_social_insurance(
    months: Sequence[InsuranceMonth], today: date, *, required: int = 6
) -> CheckOutcome:
    """NO_SOCIAL_INSURANCE / SOCIAL_INSURANCE_GAP: every one of the `required` months ending last month
    has a paid row (any employer: changing jobs does not break the insurance).

    For today 2026-11-27 and 6 the months are 2026-05..2026-10; the current month is never due yet.
    No row at all in those months: NO_SOCIAL_INSURANCE. Some rows but a month missing or unpaid
    (often the latest month not yet in the snapshot, or a back payment being booked):
    SOCIAL_INSURANCE_GAP.
    """
    check = "social_insurance"
    window = months_back(today, required)
    in_window = [m for m in months if m.month in window]
    paid = {m.month for m in in_window if m.paid}
    on_record = {m.month for m in in_window}
    unknown = {m.month for m in in_window if m.paid is None} - paid
    evidence = {
        "window": [window[0], window[-1]],
        "paid_months": sorted(paid),
        "unpaid_months": sorted(on_record - paid - unknown),
        "missing_months": [m for m in window if m not in on_record],
        "latest_month_on_record": max((m.month for m in months), default=None),
    }
    if not in_window:
        return failed(check, ReasonCode.NO_SOCIAL_INSURANCE, **evidence)
    gaps = [m for m in window if m not in paid]
    if any(m in unknown for m in gaps):
        # The feed's word for "paid" was not understood for a month the decision turns on.
        return unrecognised(
            check,
            "social_insurance.paid",
            ["未识别的缴费标记 unrecognised"],
            unknown_months=sorted(unknown),
            **evidence,
        )
    if gaps:
        return failed(
            check,
            ReasonCode.SOCIAL_INSURANCE_GAP,
            detail_zh="未缴月份：" + "、".join(gaps),
            detail_en="months not paid: " + ", ".join(gaps),
            **evidence,
        )
    return passed(
        check,
        f"已连续缴纳社会保险{required}个月（{window[0]} 至 {window[-1]}）。",
        f"Social insurance paid for {required} continuous months ({window[0]}..{window[-1]}).",
        **evidence,
    )


def latest_paid_employer(months: Sequence[InsuranceMonth]) -> str | None:
    """The employer USCC of the latest paid insurance month (the fallback employer)."""
    paid = sorted((m for m in months if m.paid and m.employer_uscc.strip()), key=lambda m: m.month)
    return paid[-1].employer_uscc.strip().upper() if paid else None


def check_employer_business(
    uscc: str | None,
    source: str,
    business: BusinessRecord | None,
    feed: FeedVocabulary,
) -> CheckOutcome:
    """BUSINESS_NOT_FOUND / BUSINESS_INACTIVE: the employer's USCC is in the registry and active.

    `source` says where the USCC came from (labor_contract, business_license, social_insurance).
    A code that fails the GB 32100-2015 check character cannot be in the registry: BUSINESS_NOT_FOUND
    (review) with `uscc_valid: false`, since it is usually a misread or a typo on the contract. A
    status that means neither active nor inactive (停业, 歇业) or that the vocabulary does not know (a
    new term in the feed) leaves the check unevaluated: a reviewer decides, never a rejection.
    USCCs and business names are public registry data, so they are not masked.
    """
    check = "employer_business"
    if not uscc:
        return not_evaluated(check, "employer_uscc")
    code = uscc.strip().upper()
    valid = uscc_number.is_valid(code)
    evidence: dict[str, str | bool | None] = {"uscc": code, "source": source, "uscc_valid": valid}
    if not valid:
        return failed(check, ReasonCode.BUSINESS_NOT_FOUND, **evidence)
    if business is None:
        return failed(check, ReasonCode.BUSINESS_NOT_FOUND, **evidence)
    status = business.status.strip()
    evidence |= {"name": business.name, "status": status}
    meaning = feed.column("business_registry.status").meaning(status)
    if meaning in feed.checks.business_inactive:
        return failed(check, ReasonCode.BUSINESS_INACTIVE, **evidence)
    if meaning not in feed.checks.business_active:
        return unrecognised(
            check, "business_registry.status", [status], status_recognised=meaning is not None, **evidence
        )
    return passed(check, "用人单位登记状态正常。", "Employer is registered and active.", **evidence)
