"""Calendar arithmetic for validity periods and completion windows."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, keeping the day of the month where it exists, else the last
    day (29 February plus one year is 28 February)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def add_span(day: dt.date, years: int = 0, months: int = 0) -> dt.date:
    return add_months(day, years * 12 + months)
