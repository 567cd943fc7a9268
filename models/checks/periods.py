"""Calendar arithmetic the rules share: months and years counted the way a clerk counts them."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def month_key(day: date) -> str:
    """2026-11-27 -> "2026-11" (the social_insurance table's month format)."""
    return f"{day:%Y-%m}"


def shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    """(year, month) moved by `months` calendar months."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def add_months(start: date, months: int) -> date:
    """The same day-of-month `months` later (or earlier, for negative `months`).

    When the target month is shorter (31 Aug + 6 months), the result is the 1st of the month after:
    a full N months must have elapsed, so a period never ends early by rounding down to Feb 28.
    Equivalently, `add_months(d, n) <= today` exactly when `d <= today - n months` with the
    subtraction clamped to the month's last day — the two readings of "held for N months" agree.
    """
    year, month = shift_month(start.year, start.month, months)
    last = calendar.monthrange(year, month)[1]
    if start.day <= last:
        return date(year, month, start.day)
    return date(year, month, last) + timedelta(days=1)


def add_years(start: date, years: int) -> date:
    """The anniversary `years` later; 29 Feb rolls to 1 Mar in a common year (see add_months)."""
    return add_months(start, 12 * years)


def months_back(today: date, count: int) -> list[str]:
    """The `count` calendar months ending last month, oldest first: for 2026-11-27 and 6,
    ["2026-05", ..., "2026-10"]. The current month is never due yet."""
    keys = []
    for back in range(count, 0, -1):
        year, month = shift_month(today.year, today.month, -back)
        keys.append(f"{year:04d}-{month:02d}")
    return keys
