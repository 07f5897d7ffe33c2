"""Working days in China's calendar: hand-computed deadlines across Spring Festival and National
Day with their adjusted workdays (调休), and the weekends-only fallback for unannounced years."""

from __future__ import annotations

from datetime import date

import pytest

from zhdj_service_requests.workdays import (
    CalendarBasis,
    add_working_days,
    is_working_day,
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


def test_a_year_not_announced_falls_back_to_weekends_and_says_so() -> None:
    # 2026-12-30 (Wednesday) + 3 working days: Thu 12-31, then 2027: Fri 1-1 counts as a
    # working day (2027's New Year holiday is not announced here), Mon 1-4.
    due, basis = add_working_days(date(2026, 12, 30), 3)
    assert (due, basis) == (date(2027, 1, 4), CalendarBasis.WEEKENDS_ONLY)
    assert add_working_days(date(2026, 12, 28), 2)[1] is CalendarBasis.ANNOUNCED
    assert add_working_days(date(2027, 3, 5), 1) == (date(2027, 3, 8), CalendarBasis.WEEKENDS_ONLY)


def test_zero_days_is_the_same_day_and_negative_is_refused() -> None:
    assert add_working_days(date(2026, 2, 16), 0)[0] == date(2026, 2, 16)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 2, 16), -1)
    assert working_days_between(date(2026, 2, 28), date(2026, 2, 12)) == -7
