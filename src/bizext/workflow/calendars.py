"""Working days and working time (DESIGN §5): which local dates count, and instants ± working time.

A working day runs 00:00–24:00 local time. Working time is measured on the local wall clock, so a
working day is always 24 h of counted time; instants in and out are UTC-aware.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DAY = 86_400
DEFAULT_ZONE = "Asia/Shanghai"
#: No real calendar has a year without a working day; past this, a calendar is broken, not slow.
MAX_SEARCH_DAYS = 366 * 3


@dataclass(frozen=True)
class DayOverride:
    """An admin's correction of the base calendar, e.g. next year's official schedule (调休)."""

    day: date
    working: bool
    name: str | None = None


@dataclass(frozen=True)
class CalendarDay:
    day: date
    working: bool
    name: str | None
    overridden: bool


@lru_cache(maxsize=4)
def _mainland_china() -> holidays.HolidayBase:
    # The holidays package knows the State Council's published schedules, adjusted weekends included.
    return holidays.China(language="en_US")


class WorkingCalendar:
    """A region's working days: the mainland China base calendar plus the region's overrides."""

    def __init__(self, region: str, overrides: Mapping[date, DayOverride] | None = None,
                 zone: str = DEFAULT_ZONE):
        self.region = region
        self.zone = ZoneInfo(zone)
        self.overrides = dict(overrides or {})
        self._base = _mainland_china()

    # -- days ---------------------------------------------------------------------------------------
    def is_working(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.working
        return self._base.is_working_day(day)

    def describe(self, day: date) -> CalendarDay:
        override = self.overrides.get(day)
        if override is not None:
            return CalendarDay(day, override.working, override.name, True)
        return CalendarDay(day, self._base.is_working_day(day), self._base.get(day), False)

    def days(self, start: date, end: date) -> list[CalendarDay]:
        return [self.describe(start + timedelta(days=i)) for i in range((end - start).days + 1)]

    # -- instants -----------------------------------------------------------------------------------
    def local(self, instant: datetime) -> datetime:
        """Naive local wall-clock time (what working time is measured on)."""
        return instant.astimezone(self.zone).replace(tzinfo=None)

    def instant(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def counting_start(self, started_at: datetime) -> datetime:
        """期间开始之日不计入: counting begins at 00:00 of the day after the start day."""
        day = self.local(started_at).date() + timedelta(days=1)
        return self.instant(datetime.combine(day, time()))

    def working_seconds(self, start: datetime, end: datetime) -> int:
        """Working time between two instants, in seconds (0 when end ≤ start)."""
        a, b = self.local(start), self.local(end)
        if b <= a:
            return 0
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_working(day):
                lo = max(a, datetime.combine(day, time()))
                hi = min(b, datetime.combine(day + timedelta(days=1), time()))
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return int(round(total))

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant at which `seconds` of working time have passed since `start`.
        Landing exactly on a working day's end gives that day's 24:00, never the next working morning."""
        if seconds <= 0:
            return start
        here = self.local(start)
        remaining = float(seconds)
        for _ in range(MAX_SEARCH_DAYS * 10):
            day = here.date()
            end_of_day = datetime.combine(day + timedelta(days=1), time())
            if self.is_working(day):
                available = (end_of_day - here).total_seconds()
                if remaining <= available:
                    return self.instant(here + timedelta(seconds=remaining))
                remaining -= available
            here = end_of_day
        raise ValueError(f"calendar {self.region!r} has no working day for years after {start.date()}")

    def deadline(self, started_at: datetime, limit_days: int, paused_seconds: float = 0) -> datetime:
        """24:00 of the N-th working day after the start day, moved out by the working time paused."""
        return self.add_working_seconds(self.counting_start(started_at), limit_days * DAY + paused_seconds)
