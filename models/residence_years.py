"""How long the applicant has lived in Chengdu without a break, as the permit counts it.

The count runs from the start of the continuous residence registration reaching today (a move inside
the city does not break it, see models/checks/residence.py), and a late endorsement restarts it
(居住证暂行条例: 逾期签注的, 居住年限自签注之日起连续计算).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from models.checks.periods import add_months
from models.checks.permits import endorsement_due
from models.checks.residence import continuous_since
from models.records import PermitRecord, ResidenceRegistration


@dataclass(frozen=True)
class ResidencePeriod:
    """The continuous residence accumulated up to `today` (None/0 when not registered now)."""

    since: date | None
    years: int
    months: int  # the months beyond the full years
    restarted_on: date | None  # the late endorsement that restarted the count, if it did

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def as_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "years": self.years,
            "months": self.months,
            "restarted_on": self.restarted_on.isoformat() if self.restarted_on else None,
        }


def full_months_between(start: date, end: date) -> int:
    """Whole calendar months from start to end (add_months(start, n) <= end), 0 if end < start."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


def residence_period(
    registrations: Sequence[ResidenceRegistration],
    permits: Sequence[PermitRecord],
    today: date,
    *,
    window_days: int = 30,
) -> ResidencePeriod:
    """The continuous residence period: since the continuous registration began, or since the last
    late endorsement of a permit if that is later. `window_days` is the policy's endorsement window
    (it tells an on-time endorsement from a late one)."""
    since = continuous_since(registrations, today)
    if since is None:
        return ResidencePeriod(since=None, years=0, months=0, restarted_on=None)
    restarts = [
        endorsement_due(p, window_days).anchor
        for p in permits
        if p.last_endorsed_on is not None and endorsement_due(p, window_days).restarted
    ]
    restarted_on = max((d for d in restarts if d > since and d <= today), default=None)
    start = restarted_on or since
    total = full_months_between(start, today)
    return ResidencePeriod(since=start, years=total // 12, months=total % 12, restarted_on=restarted_on)
