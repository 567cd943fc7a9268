"""The statutory clock (法定办理时限): issue within 15 days of acceptance, correction time excluded.

Pure date arithmetic over the three fields a case stores (`accepted_on`, `clock_paused_on`,
`paused_days`); no database, no settings. "Today" is always a parameter.

How the days are counted — each choice written down because a station will ask:

- **Calendar days.** The policy number (`issue_within_days`, 15) counts calendar days, weekends and
  holidays included: the stricter reading, and the one the brief for this system asks for.
- **The acceptance day does not count** (民法典 第二百零一条: 按照日计算期间的，开始的当日不计入).
  A case accepted on 3 March is due by the end of 18 March: `due_on = accepted_on + 15`. It is late
  from 19 March, i.e. when `today > due_on` (`days_left < 0`). On the due day itself `days_left == 0`.
- **Pauses (补正).** The clock pauses on the day the correction is requested and runs again on the day
  the applicant answers. The request day counts as a clock day (the office worked the case that day);
  the answer day does not (the office's time restarts, like the acceptance day, from the next day).
  So a pause from day P to day R adds exactly `R - P` days; requesting and receiving a correction on
  the same day adds nothing. While the clock is paused the due date moves forward one day per day
  and `days_left` stays frozen at what it was when the pause began.
- **Where the clock stops.** The 15 days cover review and card production (制作发放): the office has
  done its part once the card is in production, so the clock stops at 制证中 (in_production) and
  stays stopped through mailing/pickup and 办结. Rejected (不予办理) and done (办结) stop it too.
  A case that was never accepted (`accepted_on` is None) has no clock yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from models.status import CaseStatus

# The statutory default; services pass `load_policy().issue_within_days` (models import nothing of config).
ISSUE_WITHIN_DAYS = 15

# Statuses in which the office still owes the applicant a card (the clock runs or is paused).
OPEN_STATUSES: frozenset[CaseStatus] = frozenset(
    {CaseStatus.SUBMITTED, CaseStatus.UNDER_REVIEW, CaseStatus.NEEDS_CORRECTION}
)


class ClockState(StrEnum):
    NOT_STARTED = "not_started"  # not yet accepted (受理)
    RUNNING = "running"
    PAUSED = "paused"  # waiting for the applicant's correction (补正)
    STOPPED = "stopped"  # in production, delivered, done or rejected

    @property
    def label_zh(self) -> str:
        return _STATE_ZH[self]


_STATE_ZH = {
    ClockState.NOT_STARTED: "未受理",
    ClockState.RUNNING: "计时中",
    ClockState.PAUSED: "补正暂停",
    ClockState.STOPPED: "已停止",
}


class PauseState(NamedTuple):
    """The two stored fields a pause or resume changes."""

    clock_paused_on: date | None
    paused_days: int


def days_paused_so_far(clock_paused_on: date | None, today: date) -> int:
    """Days the current pause has lasted by `today` (0 when not paused or paused in the future)."""
    if clock_paused_on is None:
        return 0
    return max(0, (today - clock_paused_on).days)


def due_on(
    accepted_on: date | None,
    paused_days: int,
    clock_paused_on: date | None,
    today: date,
    *,
    issue_within_days: int = ISSUE_WITHIN_DAYS,
) -> date | None:
    """The last day to issue the card, as it stands on `today`; None before acceptance.

    Completed pauses (`paused_days`) and the running pause (since `clock_paused_on`) both push it back.
    """
    if accepted_on is None:
        return None
    extension = max(0, paused_days) + days_paused_so_far(clock_paused_on, today)
    return accepted_on + timedelta(days=issue_within_days + extension)


def days_left(
    accepted_on: date | None,
    paused_days: int,
    clock_paused_on: date | None,
    today: date,
    *,
    issue_within_days: int = ISSUE_WITHIN_DAYS,
) -> int | None:
    """Days until the due date: 0 on the due day, negative when late; None before acceptance."""
    deadline = due_on(accepted_on, paused_days, clock_paused_on, today, issue_within_days=issue_within_days)
    return None if deadline is None else (deadline - today).days


def pause(clock_paused_on: date | None, paused_days: int, today: date) -> PauseState:
    """Pause the clock on `today` (a correction was requested). Pausing a paused clock changes nothing."""
    if clock_paused_on is not None:
        return PauseState(clock_paused_on, paused_days)
    return PauseState(today, paused_days)


def resume(clock_paused_on: date | None, paused_days: int, today: date) -> PauseState:
    """Run the clock again on `today` (the applicant answered): the pause's days join `paused_days`.

    Resuming a running clock changes nothing, so a retried step is harmless.
    """
    if clock_paused_on is None:
        return PauseState(None, paused_days)
    return PauseState(None, paused_days + days_paused_so_far(clock_paused_on, today))


def clock_state(
    status: CaseStatus | str, accepted_on: date | None, clock_paused_on: date | None
) -> ClockState:
    """Whether the clock runs: by status (see the module docstring) and the stored pause date."""
    if accepted_on is None:
        return ClockState.NOT_STARTED
    if CaseStatus(status) not in OPEN_STATUSES:
        return ClockState.STOPPED
    # The stored pause date, not the status, says whether the clock is paused: the two are written in
    # one transaction, and the date is what the arithmetic uses.
    return ClockState.PAUSED if clock_paused_on is not None else ClockState.RUNNING


@dataclass(frozen=True)
class Clock:
    """A case's clock on one day: state, due date and days left (None when it does not apply)."""

    state: ClockState
    due_on: date | None
    days_left: int | None

    @property
    def is_late(self) -> bool:
        """Past the due date with the office still owing the card (running, or paused after the date)."""
        return self.state in (ClockState.RUNNING, ClockState.PAUSED) and (self.days_left or 0) < 0

    def summary(self) -> str:
        """One line for people, Chinese then English (e.g. for the review form)."""
        if self.due_on is None or self.days_left is None:
            return f"法定时限：{self.state.label_zh} statutory deadline: {self.state.value}"
        when = self.due_on.isoformat()
        if self.days_left < 0:
            zh, en = f"已超期 {-self.days_left} 天", f"{-self.days_left} day(s) late"
        else:
            zh, en = f"剩余 {self.days_left} 天", f"{self.days_left} day(s) left"
        paused = "（补正暂停中）" if self.state is ClockState.PAUSED else ""
        paused_en = ", paused for correction" if self.state is ClockState.PAUSED else ""
        return f"法定办结期限 {when}，{zh}{paused} · statutory deadline {when}, {en}{paused_en}"


def clock_of(
    status: CaseStatus | str,
    accepted_on: date | None,
    paused_days: int,
    clock_paused_on: date | None,
    today: date,
    *,
    issue_within_days: int = ISSUE_WITHIN_DAYS,
) -> Clock:
    """The clock of a case with these stored fields, on `today`."""
    state = clock_state(status, accepted_on, clock_paused_on)
    if state in (ClockState.NOT_STARTED, ClockState.STOPPED):
        # A stopped clock keeps the deadline it had (completed pauses only); days left no longer apply.
        deadline = due_on(accepted_on, paused_days, None, today, issue_within_days=issue_within_days)
        return Clock(state, deadline, None)
    deadline = due_on(accepted_on, paused_days, clock_paused_on, today, issue_within_days=issue_within_days)
    assert deadline is not None  # accepted
    return Clock(state, deadline, (deadline - today).days)
