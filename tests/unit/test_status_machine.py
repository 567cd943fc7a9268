"""The status machine: every legal move allowed and audited, every illegal one refused."""

from __future__ import annotations

import itertools

import pytest

from models.status import TRANSITIONS, CaseStatus, IllegalTransition, check_transition
from models.tables import Case

ALL_PAIRS = list(itertools.product(CaseStatus, CaseStatus))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def _case(status: CaseStatus) -> Case:
    return Case(
        id="RJ1",
        submission_id="S1",
        business_type="apply",
        status=status.value,
        applicant_name="王小明",
        applicant_id_number="511302199003154418",
        applicant_phone="13812345678",
        residence_address="成都市武侯区玉林北路1号",
        delivery_method="pickup",
    )


def test_design_flow_is_legal() -> None:
    """The main path of DESIGN.md §2 and its side branches are all allowed."""
    path = [
        CaseStatus.SUBMITTED,
        CaseStatus.UNDER_REVIEW,
        CaseStatus.IN_PRODUCTION,
        CaseStatus.MAILED,
        CaseStatus.DONE,
    ]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)
    check_transition(CaseStatus.IN_PRODUCTION, CaseStatus.AWAITING_PICKUP)
    check_transition(CaseStatus.AWAITING_PICKUP, CaseStatus.DONE)
    check_transition(CaseStatus.UNDER_REVIEW, CaseStatus.NEEDS_CORRECTION)
    check_transition(CaseStatus.NEEDS_CORRECTION, CaseStatus.UNDER_REVIEW)
    check_transition(CaseStatus.SUBMITTED, CaseStatus.REJECTED)


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=lambda s: str(s))
def test_legal_transition_is_recorded(current: CaseStatus, target: CaseStatus) -> None:
    case = _case(current)
    row = case.advance(target, actor="r-wuhou-yulin-1", reason="test")
    assert case.status == target.value
    assert (row.case_id, row.from_status, row.to_status, row.actor) == (
        "RJ1",
        current.value,
        target.value,
        "r-wuhou-yulin-1",
    )


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=lambda s: str(s))
def test_illegal_transition_is_refused_and_changes_nothing(current: CaseStatus, target: CaseStatus) -> None:
    case = _case(current)
    before = case.model_dump()
    with pytest.raises(IllegalTransition) as raised:
        case.advance(target, actor="someone", reason="test")
    assert case.model_dump() == before
    message = str(raised.value)
    assert current.label_zh in message and target.value in message  # Chinese and English


def test_terminal_statuses_have_no_way_out() -> None:
    assert {s for s in CaseStatus if s.is_terminal} == {CaseStatus.DONE, CaseStatus.REJECTED}


@pytest.mark.parametrize("text", ["under_review", "审核中", "UNDER_REVIEW", " 审核中 "])
def test_status_parses_ascii_or_chinese(text: str) -> None:
    assert CaseStatus.parse(text) is CaseStatus.UNDER_REVIEW


def test_unknown_status_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="待受理"):
        CaseStatus.parse("pending")
