"""Business dates follow the Asia/Shanghai calendar (UTC+8 all year: China has no daylight time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def now_in_china() -> datetime:
    return datetime.now(CHINA_TZ)


def today_in_china() -> date:
    return now_in_china().date()
