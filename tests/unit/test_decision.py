"""decide(): the policy's precedence over the failing checks' reasons, and the notice lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.city import load_policy, load_reason_catalogue
from models.checks.result import CheckOutcome, failed, not_evaluated, passed
from models.decision import decide
from models.reasons import ReasonCode

POLICY = load_policy()
REASONS = load_reason_catalogue()
OK = passed("ok", "通过。", "Passed.")


def fail(reason: ReasonCode, check: str | None = None) -> CheckOutcome:
    return failed(check or reason.value.lower(), reason).worded(REASONS)


@given(st.lists(st.sampled_from(list(ReasonCode)), max_size=8), st.integers(min_value=0, max_value=3))
def test_outcome_is_the_strongest_reason_by_precedence(reasons: list[ReasonCode], passes: int) -> None:
    decision = decide([OK] * passes + [fail(r) for r in reasons], POLICY)
    found = {POLICY.outcome_of(r) for r in reasons}
    expected = next((o for o in POLICY.precedence if o in found), "auto_approved")
    assert decision.outcome == expected
    assert decision.reasons == tuple(dict.fromkeys(reasons))
    assert len(decision.lines) == len(reasons)


@given(st.permutations(list(ReasonCode)))
def test_order_of_checks_does_not_change_the_outcome(reasons: list[ReasonCode]) -> None:
    assert decide([fail(r) for r in reasons], POLICY).outcome == "rejected"


@pytest.mark.parametrize(
    ("reasons", "outcome"),
    [
        ([], "auto_approved"),
        ([ReasonCode.NAME_MISMATCH], "needs_review"),
        ([ReasonCode.NAME_MISMATCH, ReasonCode.DOCUMENT_MISSING], "needs_correction"),
        ([ReasonCode.DOCUMENT_MISSING, ReasonCode.LOCAL_HUKOU], "rejected"),
    ],
)
def test_examples(reasons: list[ReasonCode], outcome: str) -> None:
    assert decide([fail(r) for r in reasons], POLICY).outcome == outcome


def test_correction_lists_every_defect_at_once() -> None:
    decision = decide(
        [
            OK,
            fail(ReasonCode.DOCUMENT_MISSING),
            fail(ReasonCode.NAME_MISMATCH),
            fail(ReasonCode.ID_CARD_EXPIRED),
            fail(ReasonCode.ID_NUMBER_INVALID),
        ],
        POLICY,
    )
    assert decision.outcome == "needs_correction"
    assert [line.reason for line in decision.corrections] == [
        ReasonCode.DOCUMENT_MISSING,
        ReasonCode.ID_CARD_EXPIRED,
        ReasonCode.ID_NUMBER_INVALID,
    ]
    zh, en = decision.notice()
    assert len(zh) == len(en) == 3
    assert zh[0].startswith("1. 您的申请缺少必需的材料")
    assert en[2].startswith("3. The ID number entered fails")


def test_rejection_notice_gives_the_rejection_reasons() -> None:
    decision = decide([fail(ReasonCode.DOCUMENT_MISSING), fail(ReasonCode.LOCAL_HUKOU)], POLICY)
    zh, _ = decision.notice()
    assert decision.outcome == "rejected" and len(zh) == 1 and "户口已在成都市" in zh[0]


def test_unevaluated_check_blocks_auto_approval_only() -> None:
    pending = not_evaluated("id_number_match", "id_front.id_number")
    assert decide([OK, pending], POLICY).outcome == "needs_review"
    assert decide([OK, pending], POLICY, require_all_evaluated=False).outcome == "auto_approved"
    assert decide([pending, fail(ReasonCode.LOCAL_HUKOU)], POLICY).outcome == "rejected"
    assert decide([OK, pending], POLICY).unevaluated == ("id_number_match",)


def test_outcome_invariants() -> None:
    with pytest.raises(ValueError):
        CheckOutcome(check="x", passed=True, reason=ReasonCode.LOCAL_HUKOU)
    with pytest.raises(ValueError):
        CheckOutcome(check="x", passed=False, reason=None)
    assert fail(ReasonCode.LOCAL_HUKOU).as_dict()["reason"] == "LOCAL_HUKOU"
