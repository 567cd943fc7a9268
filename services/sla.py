"""The statutory clock on stored cases: what is due soon, and escalation of late cases to the 分局.

Views here carry no personal data at all (case id, station, bureau, dates, status): they go to the
CLI, to Prefect (the lead tags the overdue flow run) and into staff notifications. The case id is
not personal data — it is already the flow-run parameter Prefect shows.

Escalation writes, in one transaction per run: `Case.escalated = True` and one `Notification` per
supervisor of the case's bureau, under the durable key `escalate:{case_id}:{due_on}`. The key's
UNIQUE constraint is what guarantees "never twice": a run that races another one fails on commit,
rolls back whole and tries once more, and then finds the other run's work done.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from config.city import load_city, load_policy
from config.settings import today as clock_today
from models.city import City
from models.sla import Clock, ClockState, clock_of
from models.status import CaseStatus
from models.tables import Notification, utcnow
from storage.db import IntegrityError, OperationalError, UnitOfWork

log = logging.getLogger(__name__)

ESCALATION_CHANNEL = "staff"
ESCALATION_ACTOR = "sla"
_RETRIES_ON_RACE = 1


@dataclass(frozen=True)
class DueCase:
    """A case whose clock is due within the asked window or late — no personal data."""

    case_id: str
    station_id: str | None
    bureau: str | None
    status: CaseStatus
    accepted_on: date
    due_on: date
    days_left: int  # 0 on the due day, negative when late
    paused: bool  # paused for correction (only listed when already late)
    escalated: bool

    @property
    def is_late(self) -> bool:
        return self.days_left < 0

    def as_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "station_id": self.station_id,
            "bureau": self.bureau,
            "status": self.status.value,
            "status_zh": self.status.label_zh,
            "accepted_on": self.accepted_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "days_left": self.days_left,
            "late": self.is_late,
            "paused": self.paused,
            "escalated": self.escalated,
        }


def escalation_key(case_id: str, due_on: date, recipient: str) -> str:
    """The durable key of one escalation notice: once per case, due date and supervisor.

    The recipient is part of the key because the key is UNIQUE and a bureau may have several
    supervisors, each with their own row.
    """
    return f"escalate:{case_id}:{due_on.isoformat()}:{recipient}"


def cases_due(within_days: int, uow: UnitOfWork, today: date | None = None) -> list[DueCase]:
    """Open cases due within `within_days` days (0 = due today) or late, most urgent first.

    Running clocks are listed when due within the window; a paused clock only when it is already
    late (it was late when the correction was requested — the office cannot act on it while paused).
    """
    if within_days < 0:
        raise ValueError("within_days must be 0 or more")
    on = today or clock_today()
    limit = load_policy().issue_within_days
    due: list[DueCase] = []
    # The due date is never earlier than accepted_on + limit, so a case accepted after
    # on + within_days - limit cannot be due in the window: a portable, index-friendly pre-filter that
    # keeps the scan to the cases that matter. The exact date (pauses included) is computed in Python.
    latest_accepted = on + timedelta(days=within_days - limit)
    with uow:
        rows = uow.cases.open_clocks(latest_accepted)
    for case_id, status, station_id, bureau, accepted_on, paused_on, paused_days, escalated in rows:
        clock = clock_of(status, accepted_on, paused_days, paused_on, on, issue_within_days=limit)
        if not _listed(clock, within_days):
            continue
        assert clock.due_on is not None and clock.days_left is not None  # open and accepted
        due.append(
            DueCase(
                case_id=case_id,
                station_id=station_id,
                bureau=bureau,
                status=CaseStatus(status),
                accepted_on=accepted_on,
                due_on=clock.due_on,
                days_left=clock.days_left,
                paused=clock.state is ClockState.PAUSED,
                escalated=escalated,
            )
        )
    due.sort(key=lambda d: (d.days_left, d.case_id))
    return due


def _listed(clock: Clock, within_days: int) -> bool:
    if clock.days_left is None:
        return False
    if clock.state is ClockState.RUNNING:
        return clock.days_left <= within_days
    return clock.state is ClockState.PAUSED and clock.is_late


def escalate_overdue(uow: UnitOfWork, today: date | None = None, *, city: City | None = None) -> list[str]:
    """Escalate every late case not escalated yet; return the ids escalated by this run.

    A case whose bureau has no supervisor (or that has no bureau yet) is not marked: it is logged and
    tried again on the next run, so an escalation is never recorded without someone being told.
    """
    on = today or clock_today()
    city = city or load_city()
    for attempt in range(_RETRIES_ON_RACE + 1):
        try:
            return _escalate_once(on, city, uow)
        except (IntegrityError, OperationalError):
            # Another run escalated some of the same cases first (a duplicate key, or on SQLite a stale
            # read snapshot); its commit is visible on the next attempt.
            if attempt == _RETRIES_ON_RACE:
                raise
            log.info("escalation raced another run; trying again")
    raise AssertionError("unreachable")


def _escalate_once(on: date, city: City, uow: UnitOfWork) -> list[str]:
    late = [d for d in cases_due(0, uow, on) if d.is_late and not d.escalated]
    recipients = {d.case_id: _supervisors(city, d.bureau) for d in late}
    for item in late:
        if not recipients[item.case_id]:
            log.warning(
                "case %s is late but bureau %r has no supervisor to escalate to", item.case_id, item.bureau
            )
    late = [d for d in late if recipients[d.case_id]]
    if not late:
        return []
    escalated: list[str] = []
    with uow:
        keys = [escalation_key(d.case_id, d.due_on, s) for d in late for s in recipients[d.case_id]]
        existing = uow.notifications.existing_keys(keys)
        for item in late:
            # Re-read under a row lock (PostgreSQL): a concurrent run waits here and then sees our flag.
            case = uow.cases.lock(item.case_id)
            if case is None or case.escalated:
                continue
            case.escalated = True
            case.updated_at = utcnow()
            uow.add(case)
            body = escalation_body(item, city)
            for supervisor in recipients[item.case_id]:
                key = escalation_key(item.case_id, item.due_on, supervisor)
                if key not in existing:
                    uow.add(
                        Notification(
                            key=key,
                            case_id=item.case_id,
                            channel=ESCALATION_CHANNEL,
                            recipient=supervisor,
                            body=body,
                        )
                    )
            escalated.append(item.case_id)
        uow.commit()
    for case_id in escalated:
        log.info("case %s escalated to its bureau's supervisors", case_id)
    return escalated


def _supervisors(city: City, bureau: str | None) -> list[str]:
    if not bureau:
        return []
    try:
        return [r.id for r in city.supervisors_of_bureau(bureau)]
    except KeyError:
        return []


def escalation_body(item: DueCase, city: City) -> str:
    """The staff notice: Chinese, then English; no personal data."""
    station = item.station_id or "—"
    if item.station_id:
        with contextlib.suppress(KeyError):  # a station since removed from the city: show its id
            station = f"{city.station(item.station_id).name}（{item.station_id}）"
    late = -item.days_left
    bureau = item.bureau or "—"
    return (
        f"【居住证超期督办】案件 {item.case_id}（{station}，{bureau}）已超过法定办结期限 {late} 天"
        f"（应于 {item.due_on.isoformat()} 前办结，当前状态：{item.status.label_zh}），请督促办理。\n"
        f"Overdue residence-permit case {item.case_id} at station {item.station_id or '-'} is {late} day(s) "
        f"past its statutory deadline {item.due_on.isoformat()} (status: {item.status.label_en}); "
        f"please follow up."
    )
