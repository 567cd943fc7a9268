"""A review decision is applied once (issue 12 item 5), on SQLite and PostgreSQL: two live runs of one
case — a replay beside the original, both resumed — with opposite decisions at the same moment."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import make_package
from sqlalchemy import Engine, delete
from sqlmodel import Session, select

from config.settings import get_settings
from models.review import ReviewChoice
from models.status import CaseStatus
from models.tables import Case, CheckResult, Notification, Review, ReviewerCodeUse, StatusTransition
from services import review
from services.intake import submit_folder
from services.reviewers import current_code
from storage.db import UnitOfWork

STATION = "wuhou-jitou"
BUREAU = "成都市公安局武侯区分局"
AT = datetime(2026, 11, 27, 2, 0, 15, tzinfo=UTC)


@pytest.fixture
def case_id(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A case waiting for a reviewer of 机投派出所 (武侯区分局); the demo roster's codes."""
    monkeypatch.setenv("RONGJU_DEMO", "1")
    get_settings.cache_clear()
    with engine.begin() as connection:
        connection.execute(delete(ReviewerCodeUse))
    result = submit_folder(make_package(tmp_path / "pkg"), UnitOfWork())
    with UnitOfWork() as uow:
        case = uow.session.get(Case, result.case_id)
        assert case is not None
        case.station_id, case.bureau, case.outcome = STATION, BUREAU, "needs_review"
        uow.add(case.advance(CaseStatus.UNDER_REVIEW, actor="system", reason="test: needs review"), case)
        uow.commit()
    return result.case_id


def form(reviewer_id: str, choice: ReviewChoice, **overrides: Any) -> dict[str, Any]:
    reasons = [] if choice is ReviewChoice.APPROVE else ["RESIDENCE_UNDER_6_MONTHS"]
    return {
        "decision": choice.form_option,
        "reason_codes": reasons,
        "comment": "",
        "reviewer_id": reviewer_id,
        "one_time_code": current_code(reviewer_id, AT),
    } | overrides


def rows(engine: Engine, table: type, case_id: str) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(table).where(table.case_id == case_id)))  # type: ignore[attr-defined]


def test_two_live_runs_with_opposite_decisions_apply_one(
    engine: Engine, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both runs have loaded the case as 审核中 and judged their forms valid before either applies:
    # the barrier sits where the decision's target is chosen, just before the claim. SQLite lets one
    # writer in at a time (the spent code is written first), so there the second run waits on the
    # write lock while the first is held at the barrier: it gives up after 5 s and goes on.
    barrier = threading.Barrier(2)
    target = review._target

    def target_after_both(case: Case, choice: ReviewChoice) -> CaseStatus:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        return target(case, choice)

    monkeypatch.setattr(review, "_target", target_after_both)
    submissions = {
        "run-a:review-0": form("r-wuhou-jitou-1", ReviewChoice.APPROVE),
        "run-b:review-0": form("r-wuhou-jitou-2", ReviewChoice.REJECT),
    }
    errors: list[BaseException] = []
    start = threading.Barrier(2, timeout=30)

    def submit(key: str) -> None:
        start.wait()
        try:
            review.apply_review_answer(case_id, submissions[key], UnitOfWork(engine), key=key, at=AT)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(key,)) for key in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    reviews = rows(engine, Review, case_id)
    accepted = [r for r in reviews if r.accepted]
    lost = [r for r in reviews if not r.accepted]
    assert len(accepted) == 1 and len(lost) == 1
    assert lost[0].refusal is not None and "already decided" in lost[0].refusal
    assert lost[0].reviewer_id != accepted[0].reviewer_id
    winner = CaseStatus.IN_PRODUCTION if accepted[0].decision == "approve" else CaseStatus.REJECTED
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.status == winner.value
    moves = [t for t in rows(engine, StatusTransition, case_id) if t.from_status == "under_review"]
    assert [t.to_status for t in moves] == [winner.value]
    decided = [n for n in rows(engine, Notification, case_id) if ":review" in n.key]
    assert [n.key.split(":")[2] for n in decided] == [winner.value]  # one SMS, the winner's
    # Both codes are spent: the losing form was stored in Prefect like any other.
    with Session(engine) as session:
        spent = session.exec(select(ReviewerCodeUse.reviewer_id)).all()
    assert sorted(spent) == ["r-wuhou-jitou-1", "r-wuhou-jitou-2"]

    # The losing run re-running from the top with the same submission replays the refusal.
    monkeypatch.setattr(review, "_target", target)
    loser_key = "run-a:review-0" if lost[0].reviewer_id == "r-wuhou-jitou-1" else "run-b:review-0"
    state = review.apply_review_answer(
        case_id, submissions[loser_key], UnitOfWork(engine), key=loser_key, at=AT
    )
    assert state.status is winner
    assert len(rows(engine, Review, case_id)) == 2


def test_a_decision_after_the_case_was_decided_changes_nothing(engine: Engine, case_id: str) -> None:
    first = review.apply_review_answer(
        case_id,
        form("r-wuhou-jitou-1", ReviewChoice.REJECT),
        UnitOfWork(engine),
        key="run-a:review-0",
        at=AT,
    )
    assert first.status is CaseStatus.REJECTED
    late = review.apply_review_answer(
        case_id,
        form("r-wuhou-jitou-2", ReviewChoice.APPROVE),
        UnitOfWork(engine),
        key="run-b:review-0",
        at=AT,
    )
    assert late.status is CaseStatus.REJECTED
    assert [(r.accepted, r.decision) for r in rows(engine, Review, case_id)] == [
        (True, "reject"),
        (False, "approve"),
    ]
    assert len([n for n in rows(engine, Notification, case_id) if ":review" in n.key]) == 1


def test_a_form_shown_before_a_correction_decides_nothing(engine: Engine, case_id: str) -> None:
    # The case was checked twice (a correction in between); a reviewer's form from round 1 is still
    # open in a second run. Its decision is refused as out of date; the current form decides.
    with UnitOfWork() as uow:
        for round_ in (1, 2):
            uow.add(CheckResult(case_id=case_id, check="documents_present", passed=True, round=round_))
        uow.commit()
    stale = review.apply_review_answer(
        case_id,
        form("r-wuhou-jitou-1", ReviewChoice.REJECT),
        UnitOfWork(engine),
        key="run-a:review-0",
        at=AT,
        shown_round=1,
    )
    assert stale.status is CaseStatus.UNDER_REVIEW and stale.awaits_review
    [refused] = rows(engine, Review, case_id)
    assert not refused.accepted and refused.refusal is not None and "earlier round" in refused.refusal
    assert [n for n in rows(engine, Notification, case_id) if ":review" in n.key] == []

    current = review.apply_review_answer(
        case_id,
        form("r-wuhou-jitou-2", ReviewChoice.APPROVE),
        UnitOfWork(engine),
        key="run-b:review-1",
        at=AT,
        shown_round=2,
    )
    assert current.status is CaseStatus.IN_PRODUCTION
    assert [(r.accepted, r.decision) for r in rows(engine, Review, case_id)] == [
        (False, "reject"),
        (True, "approve"),
    ]
