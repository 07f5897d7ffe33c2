"""China's working days: public holidays and adjusted workdays (调休) as announced.

Each year's calendar is announced late in the year before (国务院办公厅关于…部分节假日安排的通知).
A weekend day may become a working day (调休上班) and a weekday a day off. The years below are
the announced ones, copied from the notices:

* 2024: 国办发明电〔2023〕7号;
* 2025: 国办发明电〔2024〕12号 (the first year with the extra Spring Festival and May Day days);
* 2026: 国办发明电〔2025〕7号 (published November 2025).

A year not announced yet whose statutory holidays are known (the lunar dates are fixed years
ahead) counts those days off plus the weekends: ``statutory_only``. The
全国年节及纪念日放假办法 (2024 revision, art. 2 and 6) gives 元旦 1 day, 春节 4 (除夕 to 初三),
清明 1, 劳动节 2 (1 and 2 May), 端午 1, 中秋 1 and 国庆 3 (1 to 3 October); which weekdays make
up for those falling on a weekend (补休) and which weekends are swapped (调休) only the
announcement says, so neither is guessed.

* 2027: the statutory days as listed by ``holidays`` 0.109 (``holidays.China(years=2027)``,
  its "observed" substitute days left out); the lunar ones (除夕 to 初三, 端午, 中秋) and 清明
  checked against a lunar calendar in ``tests/service_requests/test_workdays.py``.

A year beyond those falls back to weekends only. Every answer says which basis it used
(``calendar_basis``), because a deadline set in December already reaches into a year whose
calendar nobody knows fully yet: it must degrade, never fail. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum


class CalendarBasis(StrEnum):
    ANNOUNCED = "announced"  # the year's official holidays and adjusted workdays
    # Not announced yet: the statutory holidays and the weekends off, no 调休 or 补休 days.
    STATUTORY_ONLY = "statutory_only"
    WEEKENDS_ONLY = "weekends_only"  # nothing known: Saturday and Sunday off, nothing else


CALENDAR_BASIS_DESCRIPTION = (
    "What the working days of the deadlines rest on (the least known year they cross): "
    "announced: the year's official holidays and adjusted workdays (调休); statutory_only: not "
    "announced yet, its statutory holidays and the weekends off (the 调休 and 补休 days to come "
    "are not known); weekends_only: nothing known of the year, Saturdays and Sundays off only"
)

# From the most to the least known: a deadline walking over several years has the least.
_CERTAINTY = {
    CalendarBasis.ANNOUNCED: 2,
    CalendarBasis.STATUTORY_ONLY: 1,
    CalendarBasis.WEEKENDS_ONLY: 0,
}


def weakest(*bases: CalendarBasis) -> CalendarBasis:
    """The least certain of ``bases`` (what a deadline computed over all of them rests on)."""
    return min(bases, key=_CERTAINTY.__getitem__)


def _days(first: str, last: str | None = None) -> list[date]:
    start = date.fromisoformat(first)
    end = date.fromisoformat(last) if last else start
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _flatten(ranges: Iterable[list[date]]) -> frozenset[date]:
    return frozenset(d for days in ranges for d in days)


# Days off (放假), weekends inside a holiday included, per announced year.
HOLIDAYS: dict[int, frozenset[date]] = {
    2024: _flatten(
        [
            _days("2024-01-01"),  # 元旦
            _days("2024-02-10", "2024-02-17"),  # 春节
            _days("2024-04-04", "2024-04-06"),  # 清明节
            _days("2024-05-01", "2024-05-05"),  # 劳动节
            _days("2024-06-10"),  # 端午节
            _days("2024-09-15", "2024-09-17"),  # 中秋节
            _days("2024-10-01", "2024-10-07"),  # 国庆节
        ]
    ),
    2025: _flatten(
        [
            _days("2025-01-01"),
            _days("2025-01-28", "2025-02-04"),
            _days("2025-04-04", "2025-04-06"),
            _days("2025-05-01", "2025-05-05"),
            _days("2025-05-31", "2025-06-02"),
            _days("2025-10-01", "2025-10-08"),  # 国庆节、中秋节
        ]
    ),
    2026: _flatten(
        [
            _days("2026-01-01", "2026-01-03"),
            _days("2026-02-15", "2026-02-23"),
            _days("2026-04-04", "2026-04-06"),
            _days("2026-05-01", "2026-05-05"),
            _days("2026-06-19", "2026-06-21"),
            _days("2026-09-25", "2026-09-27"),
            _days("2026-10-01", "2026-10-07"),
        ]
    ),
}

# Weekend days that are working days (调休上班), per announced year.
ADJUSTED_WORKDAYS: dict[int, frozenset[date]] = {
    2024: _flatten(
        _days(d)
        for d in (
            "2024-02-04",
            "2024-02-18",
            "2024-04-07",
            "2024-04-28",
            "2024-05-11",
            "2024-09-14",
            "2024-09-29",
            "2024-10-12",
        )
    ),
    2025: _flatten(
        _days(d) for d in ("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11")
    ),
    2026: _flatten(
        _days(d)
        for d in (
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        )
    ),
}

ANNOUNCED_YEARS = frozenset(HOLIDAYS)

# The statutory days off of years not announced yet (see the module docstring).
STATUTORY_HOLIDAYS: dict[int, frozenset[date]] = {
    2027: _flatten(
        [
            _days("2027-01-01"),  # 元旦 (a Friday)
            _days("2027-02-05", "2027-02-08"),  # 春节: 除夕 to 正月初三
            _days("2027-04-05"),  # 清明节
            _days("2027-05-01", "2027-05-02"),  # 劳动节 (a Saturday and a Sunday)
            _days("2027-06-09"),  # 端午节 (五月初五)
            _days("2027-09-15"),  # 中秋节 (八月十五)
            _days("2027-10-01", "2027-10-03"),  # 国庆节
        ]
    ),
}


def basis_of(day: date) -> CalendarBasis:
    if day.year in ANNOUNCED_YEARS:
        return CalendarBasis.ANNOUNCED
    if day.year in STATUTORY_HOLIDAYS:
        return CalendarBasis.STATUTORY_ONLY
    return CalendarBasis.WEEKENDS_ONLY


def is_working_day(day: date) -> bool:
    if day.year in ANNOUNCED_YEARS:
        if day in ADJUSTED_WORKDAYS[day.year]:
            return True
        if day in HOLIDAYS[day.year]:
            return False
    elif day in STATUTORY_HOLIDAYS.get(day.year, ()):
        return False
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> tuple[date, CalendarBasis]:
    """The ``days``-th working day after ``start`` (``start`` itself never counts), and the basis.

    A request submitted on a Friday with a 1-working-day deadline is due the next working day.
    The basis is the least certain of the years walked over (:func:`weakest`): ``statutory_only``
    or ``weekends_only`` as soon as one day lies in a year not announced.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    basis = basis_of(start)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.year != (current - timedelta(days=1)).year:
            basis = weakest(basis, basis_of(current))
        if is_working_day(current):
            left -= 1
    return current, basis


def working_days_between(start: date, end: date) -> int:
    """Working days in ``(start, end]``: how many working days after ``start`` ``end`` is
    (negative when ``end`` is before ``start``). ``add_working_days(s, n)`` gives ``n`` back."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for i in range(1, (end - start).days + 1) if is_working_day(start + timedelta(i)))
