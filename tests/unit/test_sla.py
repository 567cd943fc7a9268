"""The statutory clock's arithmetic: 15 calendar days from acceptance, correction pauses excluded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.sla import ClockState, PauseState, clock_of, clock_state, days_left, due_on, pause, resume
from models.status import CaseStatus

D = date.fromisoformat


@pytest.mark.parametrize(
    ("accepted", "paused_days", "paused_on", "today", "due", "left"),
    [
        # No pause: the acceptance day does not count, so 3 March + 15 = 18 March.
        ("2026-03-03", 0, None, "2026-03-10", "2026-03-18", 8),
        ("2026-03-03", 0, None, "2026-03-03", "2026-03-18", 15),
        ("2026-03-03", 0, None, "2026-03-18", "2026-03-18", 0),  # due today: not late yet
        ("2026-03-03", 0, None, "2026-03-19", "2026-03-18", -1),  # late from the next day
        ("2026-03-03", 0, None, "2026-04-02", "2026-03-18", -15),
        # One completed pause of 4 days moves the date by 4.
        ("2026-03-03", 4, None, "2026-03-10", "2026-03-22", 12),
        # A pause running since 10 March: on the 13th the date has moved 3 days, days left are frozen.
        ("2026-03-03", 0, "2026-03-10", "2026-03-10", "2026-03-18", 8),
        ("2026-03-03", 0, "2026-03-10", "2026-03-13", "2026-03-21", 8),
        # Earlier pauses and the running one add up.
        ("2026-03-03", 2, "2026-03-10", "2026-03-13", "2026-03-23", 10),
        # A pause dated after today (a clock skew, a back-dated today) adds nothing.
        ("2026-03-03", 0, "2026-03-12", "2026-03-10", "2026-03-18", 8),
        # Month and year ends, leap years.
        ("2026-01-31", 0, None, "2026-02-01", "2026-02-15", 14),
        ("2026-02-20", 0, None, "2026-02-28", "2026-03-07", 7),
        ("2028-02-20", 0, None, "2028-02-28", "2028-03-06", 7),
        ("2026-12-25", 0, None, "2026-12-31", "2027-01-09", 9),
        ("2026-12-25", 3, "2027-01-05", "2027-01-07", "2027-01-14", 7),
    ],
)
def test_due_date_and_days_left(
    accepted: str, paused_days: int, paused_on: str | None, today: str, due: str, left: int
) -> None:
    pause_date = D(paused_on) if paused_on else None
    assert due_on(D(accepted), paused_days, pause_date, D(today)) == D(due)
    assert days_left(D(accepted), paused_days, pause_date, D(today)) == left


def test_no_clock_before_acceptance() -> None:
    assert due_on(None, 0, None, D("2026-03-10")) is None
    assert days_left(None, 0, None, D("2026-03-10")) is None


def test_the_policy_number_is_used() -> None:
    assert due_on(D("2026-03-03"), 0, None, D("2026-03-03"), issue_within_days=30) == D("2026-04-02")


@pytest.mark.parametrize(
    ("paused_on", "paused_days", "today", "expected"),
    [
        (None, 0, "2026-03-10", PauseState(D("2026-03-10"), 0)),
        (None, 3, "2026-03-10", PauseState(D("2026-03-10"), 3)),
        # Pausing again (a retried step) keeps the first pause date.
        ("2026-03-08", 3, "2026-03-10", PauseState(D("2026-03-08"), 3)),
    ],
)
def test_pause(paused_on: str | None, paused_days: int, today: str, expected: PauseState) -> None:
    assert pause(D(paused_on) if paused_on else None, paused_days, D(today)) == expected


@pytest.mark.parametrize(
    ("paused_on", "paused_days", "today", "expected"),
    [
        # Request day counts as a clock day, answer day does not: 10th -> 14th adds 4 days.
        ("2026-03-10", 0, "2026-03-14", PauseState(None, 4)),
        ("2026-03-10", 2, "2026-03-14", PauseState(None, 6)),
        # Asked and answered the same day: nothing added.
        ("2026-03-10", 2, "2026-03-10", PauseState(None, 2)),
        # Across a month end.
        ("2026-02-25", 0, "2026-03-03", PauseState(None, 6)),
        # Resuming a running clock (a retried step) changes nothing.
        (None, 5, "2026-03-14", PauseState(None, 5)),
    ],
)
def test_resume(paused_on: str | None, paused_days: int, today: str, expected: PauseState) -> None:
    assert resume(D(paused_on) if paused_on else None, paused_days, D(today)) == expected


@pytest.mark.parametrize(
    ("status", "accepted", "paused_on", "state"),
    [
        (CaseStatus.SUBMITTED, None, None, ClockState.NOT_STARTED),
        (CaseStatus.SUBMITTED, "2026-03-03", None, ClockState.RUNNING),
        (CaseStatus.UNDER_REVIEW, "2026-03-03", None, ClockState.RUNNING),
        (CaseStatus.NEEDS_CORRECTION, "2026-03-03", "2026-03-05", ClockState.PAUSED),
        (CaseStatus.IN_PRODUCTION, "2026-03-03", None, ClockState.STOPPED),
        (CaseStatus.MAILED, "2026-03-03", None, ClockState.STOPPED),
        (CaseStatus.AWAITING_PICKUP, "2026-03-03", None, ClockState.STOPPED),
        (CaseStatus.DONE, "2026-03-03", None, ClockState.STOPPED),
        (CaseStatus.REJECTED, "2026-03-03", "2026-03-05", ClockState.STOPPED),
    ],
)
def test_where_the_clock_runs(
    status: CaseStatus, accepted: str | None, paused_on: str | None, state: ClockState
) -> None:
    pause_date = D(paused_on) if paused_on else None
    assert clock_state(status, D(accepted) if accepted else None, pause_date) is state


def test_clock_of_a_late_case_and_a_stopped_one() -> None:
    late = clock_of("under_review", D("2026-03-03"), 0, None, D("2026-03-21"))
    assert late.is_late and late.days_left == -3 and late.due_on == D("2026-03-18")
    assert "已超期 3 天" in late.summary() and "3 day(s) late" in late.summary()
    produced = clock_of("in_production", D("2026-03-03"), 2, None, D("2026-03-30"))
    assert not produced.is_late and produced.days_left is None and produced.due_on == D("2026-03-20")
    paused = clock_of("needs_correction", D("2026-03-03"), 0, D("2026-03-10"), D("2026-03-12"))
    assert not paused.is_late and paused.days_left == 8 and "补正暂停" in paused.summary()


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
offsets = st.integers(min_value=0, max_value=400)


@given(accepted=days, paused=offsets, since=st.none() | offsets, elapsed=offsets)
def test_due_date_is_never_before_the_statutory_minimum(
    accepted: date, paused: int, since: int | None, elapsed: int
) -> None:
    paused_on = accepted + timedelta(days=since) if since is not None else None
    today = accepted + timedelta(days=elapsed)
    deadline = due_on(accepted, paused, paused_on, today)
    assert deadline is not None and deadline >= accepted + timedelta(days=15)


@given(accepted=days, paused=offsets, more=offsets, since=st.none() | offsets, elapsed=offsets)
def test_due_date_is_monotone_in_paused_days(
    accepted: date, paused: int, more: int, since: int | None, elapsed: int
) -> None:
    paused_on = accepted + timedelta(days=since) if since is not None else None
    today = accepted + timedelta(days=elapsed)
    before = due_on(accepted, paused, paused_on, today)
    after = due_on(accepted, paused + more, paused_on, today)
    assert before is not None and after is not None
    assert after - before == timedelta(days=more)


@given(accepted=days, paused=offsets, start=offsets, length=offsets)
def test_pause_then_resume_keeps_the_due_date_continuous(
    accepted: date, paused: int, start: int, length: int
) -> None:
    # While paused, days left stay frozen; on the resume day the stored fields give the same date
    # as the running pause did.
    pause_day = accepted + timedelta(days=start)
    resume_day = pause_day + timedelta(days=length)
    paused_on, stored = pause(None, paused, pause_day)
    left_at_pause = days_left(accepted, stored, paused_on, pause_day)
    assert days_left(accepted, stored, paused_on, resume_day) == left_at_pause
    resumed = resume(paused_on, stored, resume_day)
    assert resumed.clock_paused_on is None
    assert due_on(accepted, resumed.paused_days, None, resume_day) == due_on(
        accepted, stored, paused_on, resume_day
    )
