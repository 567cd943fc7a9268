"""Permits: none held for a first application, one held for endorse/change/reissue, and the
endorsement window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from models.checks.periods import add_years
from models.checks.result import CheckOutcome, failed, for_reviewer, not_evaluated, passed, unrecognised
from models.feed_vocabulary import FeedVocabulary
from models.masking import mask_id_number
from models.reasons import ReasonCode
from models.records import PermitRecord


def mask_permit_no(permit_no: str) -> str:
    """Permit numbers identify a person as an ID number does: same masking (head and last four)."""
    return mask_id_number(permit_no)


PERMIT_STATUS = "permits.status"


def permits_meaning(
    permits: Sequence[PermitRecord], feed: FeedVocabulary, meanings: Iterable[str]
) -> list[PermitRecord]:
    """The permits whose status means one of `meanings` (valid, lapsed, …), latest issued first."""
    wanted = set(meanings)
    vocabulary = feed.column(PERMIT_STATUS)
    return sorted(
        (p for p in permits if vocabulary.meaning(p.status) in wanted),
        key=lambda p: p.issued_on,
        reverse=True,
    )


def unknown_statuses(statuses: Iterable[str], feed: FeedVocabulary, column: str) -> list[str]:
    """The status words of `column` that the vocabulary does not know (sorted, distinct)."""
    vocabulary = feed.column(column)
    return sorted({s.strip() for s in statuses if vocabulary.meaning(s) is None})


def check_no_valid_permit(permits: Sequence[PermitRecord], feed: FeedVocabulary) -> CheckOutcome:
    """ALREADY_HOLDS_PERMIT: a first application (申领) while a valid (有效) permit exists. A permit whose
    status the vocabulary does not know might be valid: a reviewer decides."""
    check = "no_valid_permit"
    valid = permits_meaning(permits, feed, feed.checks.permit_blocks_application)
    if valid:
        permit = valid[0]
        return failed(
            check,
            ReasonCode.ALREADY_HOLDS_PERMIT,
            permit_no=mask_permit_no(permit.permit_no),
            issued_on=permit.issued_on.isoformat(),
            status=permit.status,
        )
    evidence = {
        "permits_on_record": len(permits),
        "statuses_on_record": sorted({p.status.strip() for p in permits}),
    }
    unknown = unknown_statuses((p.status for p in permits), feed, PERMIT_STATUS)
    if unknown:
        return unrecognised(check, PERMIT_STATUS, unknown, **evidence)
    return passed(check, "未持有有效居住证。", "No valid permit held.", **evidence)


def check_permit_held(permits: Sequence[PermitRecord], feed: FeedVocabulary, business: str) -> CheckOutcome:
    """PERMIT_NOT_FOUND: endorse/change/reissue need a permit whose status counts for the business
    (config/shared_data.yaml `permit_held`).

    For endorsement a lapsed (过期) permit counts too — late endorsement restores it — while change and
    reissue need a valid (有效) one; cancelled (注销) never counts. A status the vocabulary does not know
    might count: a reviewer decides rather than the applicant being turned away.
    """
    check = "permit_held"
    held = permits_meaning(permits, feed, feed.checks.permit_held.get(business, frozenset()))
    if not held:
        evidence = {
            "business": business,
            "permits_on_record": len(permits),
            "statuses_on_record": sorted({p.status.strip() for p in permits}),
        }
        unknown = unknown_statuses((p.status for p in permits), feed, PERMIT_STATUS)
        if unknown:
            return unrecognised(check, PERMIT_STATUS, unknown, **evidence)
        return failed(check, ReasonCode.PERMIT_NOT_FOUND, **evidence)
    permit = held[0]
    return passed(
        check,
        "已查询到居住证信息。",
        "Permit on record.",
        permit_no=mask_permit_no(permit.permit_no),
        issued_on=permit.issued_on.isoformat(),
        last_endorsed_on=permit.last_endorsed_on.isoformat() if permit.last_endorsed_on else None,
        status=permit.status,
    )


@dataclass(frozen=True)
class EndorsementDue:
    """When the next endorsement is due and what the count is anchored on."""

    due_on: date  # the anniversary: the last day an endorsement is on time
    opens_on: date  # the first day of the window
    anchor: date  # the date full years are counted from
    restarted: bool  # the last endorsement was late and restarted the count


def endorsement_due(permit: PermitRecord, window_days: int = 30) -> EndorsementDue:
    """The next endorsement due date of a permit.

    Full years count from issued_on. An endorsement on time (within `window_days` before an
    anniversary) carries the permit to the next anniversary of issued_on. An endorsement that falls
    in no window was late: it restored the card and restarted the count, so the years now count from
    last_endorsed_on.

    Known limit: the permits table keeps only the last endorsement, so an on-time endorsement after
    an earlier late one (anchored on that late date, which the table no longer holds) is read as a
    restart from its own date. The due date then comes out at most `window_days` early, which can only
    turn an on-time request into an ENDORSEMENT_WINDOW review, never the reverse. A `valid_until`
    column or the endorsement history in the permits table would remove the guess.
    """
    issued, last = permit.issued_on, permit.last_endorsed_on
    anchor, restarted = issued, False
    years = 1
    if last is not None and last > issued:
        # The first anniversary of issued_on on or after the last endorsement.
        while add_years(issued, years) < last:
            years += 1
        covered = add_years(issued, years)
        if last >= covered - timedelta(days=window_days):
            years += 1
        else:
            anchor, restarted, years = last, True, 1
    due = add_years(anchor, years)
    return EndorsementDue(
        due_on=due, opens_on=due - timedelta(days=window_days), anchor=anchor, restarted=restarted
    )


def check_endorsement_window(
    permit: PermitRecord | None, today: date, *, window_days: int = 30
) -> CheckOutcome:
    """ENDORSEMENT_WINDOW: endorsement (签注) within the `window_days` before each full year.

    On time: opens_on <= today <= due_on (the anniversary itself is the last on-time day). Early:
    fail. Late (after the anniversary): also ENDORSEMENT_WINDOW — late endorsement is allowed and
    restores the card, but the residence count restarts from today; the evidence says so
    (`residence_count_restarts`) and the policy decides the outcome.
    """
    check = "endorsement_window"
    if permit is None:
        return not_evaluated(check, "permit")
    due = endorsement_due(permit, window_days)
    evidence = {
        "issued_on": permit.issued_on.isoformat(),
        "last_endorsed_on": permit.last_endorsed_on.isoformat() if permit.last_endorsed_on else None,
        "count_anchor": due.anchor.isoformat(),
        "previous_endorsement_late": due.restarted,
        "window_opens_on": due.opens_on.isoformat(),
        "due_on": due.due_on.isoformat(),
        "window_days": window_days,
    }
    if today < due.opens_on:
        return failed(
            check,
            ReasonCode.ENDORSEMENT_WINDOW,
            detail_zh=f"可于 {due.opens_on.isoformat()} 至 {due.due_on.isoformat()} 办理",
            detail_en=f"too early: window {due.opens_on.isoformat()}..{due.due_on.isoformat()}",
            timing="early",
            days_early=(due.opens_on - today).days,
            residence_count_restarts=False,
            **evidence,
        )
    if today > due.due_on:
        return failed(
            check,
            ReasonCode.ENDORSEMENT_WINDOW,
            detail_zh="逾期签注，居住年限自签注之日起重新计算",
            detail_en="late: the residence count restarts on endorsement",
            timing="late",
            days_late=(today - due.due_on).days,
            residence_count_restarts=True,
            **evidence,
        )
    return passed(check, "在签注办理期限内。", "Within the endorsement window.", timing="on_time", **evidence)


def check_returned_permit(held: PermitRecord | None, permit_no_read: str | None) -> CheckOutcome:
    """换领: the old card returned is the applicant's permit on record (its number, read from the card).

    Never an applicant-facing reason: a different number may be a misreading as well as another
    person's card, so a mismatch is left unevaluated with the reason shown, and a person looks at
    the card.
    """
    check = "returned_permit"
    if held is None:
        return not_evaluated(check, "permit")
    if permit_no_read is None:
        return not_evaluated(check, "old_permit permit_no")
    evidence = {"on_record": mask_permit_no(held.permit_no), "read": mask_permit_no(permit_no_read)}
    if _permit_digits(permit_no_read) == _permit_digits(held.permit_no):
        zh = "交回的旧证即申请人登记的居住证。"
        return passed(check, zh, "The returned card is the permit on record.", **evidence)
    return for_reviewer(
        check,
        "returned card matches the permit on record",
        "交回旧证上读出的证号与登记的居住证号不一致（可能是识别误差），请人工核对旧证。",
        "The number read from the returned card differs from the permit on record (perhaps a misreading):"
        " a reviewer checks the old card.",
        **evidence,
    )


def _permit_digits(permit_no: str) -> str:
    return "".join(c for c in permit_no if c.isalnum()).upper()


def check_card_fee(permit_held: bool, damaged: bool, *, reissue_fee: int, replace_fee: int) -> CheckOutcome:
    """Reissue (补领 lost / 换领 damaged, the old card returned): which it is and the card fee.

    Informational: it never fails. A damaged-card replacement is recognised by the old card
    (old_permit) among the uploaded documents.
    """
    kind, fee = ("换领", replace_fee) if damaged else ("补领", reissue_fee)
    return passed(
        "card_fee",
        f"{kind}居住证，工本费 {fee} 元。",
        f"{'Replace damaged' if damaged else 'Reissue lost'} card; card fee {fee} yuan.",
        kind=kind,
        fee_yuan=fee,
        permit_held=permit_held,
    )
