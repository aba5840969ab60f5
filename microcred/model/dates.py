"""Dates: reading one from a file, and calendar arithmetic for validity periods and completion
windows."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator


def parse_date(value: Any) -> Any:
    """Accept a YAML date or an ISO ``YYYY-MM-DD`` string; leave anything else for pydantic."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2025-05-09") from None
    return value


#: A date field of a file read into a model (transcripts, recognition rules).
Date = Annotated[dt.date, BeforeValidator(parse_date)]


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
