"""Report periods and cadence windows on the China calendar (Asia/Shanghai, UTC+8 all year).

A report period is written ``2026`` (year), ``2026-H1`` (half year), ``2026-Q1`` (quarter) or
``2026-03`` (month). A cadence rule's windows are the calendar months, quarters, half years or
years that overlap the report period; a window counts as required only when it ends on or before
the period's end (each window is judged whole, never pro rata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from zhdj_activity.vocabulary import Period
from zhdj_shared.clock import CHINA_TZ
from zhdj_shared.errors import FieldError, Unprocessable

# Years a period may name: ``date`` has no year 0, and windows reach into the next year.
MIN_YEAR, MAX_YEAR = 1900, 2999
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])))?$")


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA_TZ)


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(text: str) -> Window:
    match = _PERIOD.match(text.strip())
    if match is None:
        raise Unprocessable(
            "period is a year (2026), half year (2026-H1), quarter (2026-Q1) or month (2026-03)",
            errors=[FieldError(field="period", message="invalid period")],
        )
    year = int(match.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Unprocessable(
            f"period's year is between {MIN_YEAR} and {MAX_YEAR}",
            errors=[FieldError(field="period", message="year out of range")],
        )
    month, quarter, half = match.group(2), match.group(3), match.group(4)
    if month:
        m = int(month)
        return Window(date(year, m, 1), _month_end(year, m))
    if quarter:
        first = (int(quarter) - 1) * 3 + 1
        return Window(date(year, first, 1), _month_end(year, first + 2))
    if half:
        first = 1 if half == "1" else 7
        return Window(date(year, first, 1), _month_end(year, first + 5))
    return Window(date(year, 1, 1), date(year, 12, 31))


def _months_per(period: Period) -> int:
    return {Period.MONTH: 1, Period.QUARTER: 3, Period.HALF_YEAR: 6, Period.YEAR: 12}[period]


def windows(period: Period, report: Window) -> list[Window]:
    """The rule's calendar windows overlapping ``report``; ``once`` is one window up to its end."""
    if period == Period.ONCE:
        return [Window(date(1900, 1, 1), report.end)]
    step = _months_per(period)
    found: list[Window] = []
    year, month = report.start.year, ((report.start.month - 1) // step) * step + 1
    while date(year, month, 1) <= report.end:
        last = month + step - 1
        found.append(Window(date(year, month, 1), _month_end(year, last)))
        month = last + 1
        if month > 12:
            year, month = year + 1, 1
    return found
