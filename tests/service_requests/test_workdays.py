"""Working days in China's calendar: hand-computed deadlines across Spring Festival and National
Day with their adjusted workdays (调休); for 2027, not announced, its statutory holidays only
(checked against a lunar calendar); and the weekends-only fallback beyond."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from lunardate import LunarDate

from zhdj_service_requests.workdays import (
    HOLIDAYS,
    STATUTORY_HOLIDAYS,
    CalendarBasis,
    add_working_days,
    basis_of,
    is_working_day,
    weakest,
    working_days_between,
)


def test_adjusted_workdays_and_holidays_of_2026() -> None:
    assert is_working_day(date(2026, 2, 14))  # Saturday, worked before Spring Festival
    assert is_working_day(date(2026, 2, 28))  # Saturday, worked after it
    assert not is_working_day(date(2026, 2, 16))  # Monday, Spring Festival
    assert not is_working_day(date(2026, 10, 1))
    assert is_working_day(date(2026, 9, 20))  # Sunday before National Day
    assert is_working_day(date(2026, 10, 10))  # Saturday after it


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Spring Festival 2026: off 2-15..2-23; Saturday 2-14 and 2-28 are working days.
        # From Thu 2-12: Fri 2-13 (1), Sat 2-14 (2), then Tue 2-24 (3), 2-25 (4), 2-26 (5),
        # 2-27 (6), Sat 2-28 (7): the tax bureau's 7 working days.
        (date(2026, 2, 12), 7, date(2026, 2, 28)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        # National Day 2026: off 10-1..10-7; Sunday 9-20 and Saturday 10-10 worked.
        # From Fri 9-18: Sun 9-20 (1), 9-21..9-24 (2-5), then 9-25 is 中秋 (off), 9-28 (6),
        # 9-29 (7), 9-30 (8), 10-8 (9), 10-9 (10), Sat 10-10 (11).
        (date(2026, 9, 18), 11, date(2026, 10, 10)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        # Spring Festival 2025: off 1-28..2-4; Sunday 1-26 and Saturday 2-8 worked.
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        (date(2025, 1, 27), 1, date(2025, 2, 5)),
        (date(2025, 2, 7), 1, date(2025, 2, 8)),
        # National Day 2024: off 10-1..10-7; Sunday 9-29, Saturday 10-12 worked.
        (date(2024, 9, 27), 2, date(2024, 9, 30)),
        (date(2024, 9, 30), 3, date(2024, 10, 10)),
        (date(2024, 10, 11), 1, date(2024, 10, 12)),
    ],
)
def test_hand_computed_deadlines(start: date, days: int, due: date) -> None:
    assert add_working_days(start, days) == (due, CalendarBasis.ANNOUNCED)
    assert working_days_between(start, due) == days


# 2027 is not announced: its statutory holidays count (statutory_only), no 调休 or 补休 days.
@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # 元旦 2027 is Friday 1-1. From Wed 2026-12-30: Thu 12-31 (1), Fri 1-1 off, the
        # weekend, Mon 1-4 (2), Tue 1-5 (3). Weekends only would have said Mon 1-4.
        (date(2026, 12, 30), 3, date(2027, 1, 5)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
        # 春节 2027: 除夕 Fri 2-5, 初一 Sat 2-6, 初二 Sun 2-7, 初三 Mon 2-8 off. From Wed 2-3:
        # Thu 2-4 (1), then Tue 2-9 (2), Wed 2-10 (3).
        (date(2027, 2, 3), 3, date(2027, 2, 10)),
        (date(2027, 2, 4), 1, date(2027, 2, 9)),
        # From Mon 2027-1-25, the 15 working days of a long item: 1-26..1-29 (4), 2-1..2-4 (8),
        # 2-9..2-12 (12), 2-15..2-17 (15).
        (date(2027, 1, 25), 15, date(2027, 2, 17)),
        # 清明 Mon 4-5, 端午 Wed 6-9, 中秋 Wed 9-15: the day after is due instead.
        (date(2027, 4, 2), 1, date(2027, 4, 6)),
        (date(2027, 6, 8), 1, date(2027, 6, 10)),
        (date(2027, 9, 14), 1, date(2027, 9, 16)),
        # 劳动节 falls on Sat 5-1 and Sun 5-2; 国庆 Fri 10-1 to Sun 10-3: the Monday after is a
        # working day here (the make-up day off, 补休, is the announcement's to set).
        (date(2027, 4, 30), 1, date(2027, 5, 3)),
        (date(2027, 9, 30), 1, date(2027, 10, 4)),
    ],
)
def test_hand_computed_deadlines_of_a_year_with_only_its_statutory_holidays(
    start: date, days: int, due: date
) -> None:
    assert add_working_days(start, days) == (due, CalendarBasis.STATUTORY_ONLY)
    assert working_days_between(start, due) == days


def test_the_basis_is_the_least_known_year_walked_over() -> None:
    assert add_working_days(date(2026, 12, 28), 2) == (date(2026, 12, 30), CalendarBasis.ANNOUNCED)
    assert basis_of(date(2027, 1, 1)) is CalendarBasis.STATUTORY_ONLY
    # Beyond what is known: weekends only. Thu 2027-12-30: Fri 12-31 (1), Mon 2028-1-3 (2).
    assert add_working_days(date(2027, 12, 30), 2) == (
        date(2028, 1, 3),
        CalendarBasis.WEEKENDS_ONLY,
    )
    assert add_working_days(date(2028, 3, 3), 1) == (date(2028, 3, 6), CalendarBasis.WEEKENDS_ONLY)
    assert weakest(CalendarBasis.ANNOUNCED, CalendarBasis.STATUTORY_ONLY) is (
        CalendarBasis.STATUTORY_ONLY
    )
    assert weakest(CalendarBasis.STATUTORY_ONLY, CalendarBasis.WEEKENDS_ONLY) is (
        CalendarBasis.WEEKENDS_ONLY
    )


# -- the statutory days, from a second source -------------------------------------------------


def qingming(year: int) -> date:
    """清明 (the solar term at 15° of ecliptic longitude) in 2001-2099: 寿星通用公式,
    day = floor(Y * 0.2422 + 4.81) - floor(Y / 4) of April, Y the year's last two digits."""
    y = year % 100
    return date(year, 4, math.floor(y * 0.2422 + 4.81) - y // 4)


def statutory_days(year: int) -> set[date]:
    """The law's days off (全国年节及纪念日放假办法 as revised in 2024, from 2025 on) computed
    from the lunar calendar (``lunardate``): independent of the data under test."""
    new_year = LunarDate(year, 1, 1).to_solar_date()  # 正月初一
    spring = {new_year + timedelta(days=d) for d in (-1, 0, 1, 2)}  # 除夕 to 初三
    lunar = {LunarDate(year, 5, 5).to_solar_date(), LunarDate(year, 8, 15).to_solar_date()}
    fixed = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2)}
    fixed |= {date(year, 10, d) for d in (1, 2, 3)}
    return spring | lunar | fixed | {qingming(year)}


@pytest.mark.parametrize("year", sorted(STATUTORY_HOLIDAYS))
def test_the_statutory_holidays_match_the_lunar_calendar(year: int) -> None:
    assert set(STATUTORY_HOLIDAYS[year]) == statutory_days(year)
    assert len(STATUTORY_HOLIDAYS[year]) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_announced_years_contain_their_statutory_days(year: int) -> None:
    """The same computation agrees with the notices copied for the announced years."""
    assert statutory_days(year) <= HOLIDAYS[year]


def test_zero_days_is_the_same_day_and_negative_is_refused() -> None:
    assert add_working_days(date(2026, 2, 16), 0)[0] == date(2026, 2, 16)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 2, 16), -1)
    assert working_days_between(date(2026, 2, 28), date(2026, 2, 12)) == -7
