"""Working days and working time (DESIGN §5): which local dates count, and instants ± working time.

A working day runs 00:00–24:00 local time. Working time is measured on the local wall clock, so a
working day is always 24 h of counted time; instants in and out are UTC-aware.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
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


# -- the base calendar, cached by year ----------------------------------------------------------------------
# Calendars are built per unit of work, so anything cached on an instance is rebuilt per request; the base
# calendar's facts are the same for every region and request, so they are cached here, once per year, and
# counting working days becomes a subtraction instead of a walk over `holidays` lookups.
@dataclass(frozen=True)
class _BaseYear:
    start: int  # ordinal of 1 January
    end: int  # ordinal of 1 January of the next year
    working: bytes  # 1 for each working day of the year, in order
    before: array  # before[i]: how many of the year's first i days are working (len(working) + 1 entries)

    def count(self, lo: int, hi: int) -> int:
        """Working days in [lo, hi), both ordinals within this year (hi may be `end`)."""
        return self.before[hi - self.start] - self.before[lo - self.start]

    def nth(self, lo: int, n: int) -> int:
        """The ordinal of the n-th (n ≥ 1) working day from lo on; the year must have that many left."""
        return self.start + bisect_left(self.before, self.before[lo - self.start] + n) - 1


_BASE_YEARS: dict[int, _BaseYear] = {}


def _base_year(year: int) -> _BaseYear:
    # Filled lazily; two threads filling the same year build equal values and a dict assignment is atomic.
    cached = _BASE_YEARS.get(year)
    if cached is None:
        cached = _BASE_YEARS[year] = _fill_base_year(year)
    return cached


def _fill_base_year(year: int) -> _BaseYear:
    start, end = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1  # (no 1 Jan 10000)
    base = _mainland_china()  # still the source of truth: asked once per day of the year, then remembered
    working = bytes(base.is_working_day(date.fromordinal(o)) for o in range(start, end))
    return _BaseYear(start, end, working, array("H", accumulate(working, initial=0)))


def _base_year_of(ordinal: int) -> _BaseYear:
    return _base_year(date.fromordinal(ordinal).year)


def _base_working_days(lo: int, hi: int) -> int:
    """Working days of the base calendar in [lo, hi) (ordinals): one subtraction per year crossed."""
    total = 0
    while lo < hi:
        year = _base_year_of(lo)
        upto = min(hi, year.end)
        total += year.count(lo, upto)
        lo = upto
    return total


def _add_repeatedly(total: float, step: float, times: int) -> float:
    """`for _ in range(times): total += step`, rounded exactly as that loop rounds, without the loop.

    The day-by-day walk summed working time in floats, day after day; with sub-second instants at both ends
    the float rounding of that sum decides a half second either way, so it is reproduced, not approximated.
    `step` (a whole day) is a multiple of the spacing of floats below 2**60, so every addition that stays
    below the next power of two is exact: jump over those at once, and add the one that crosses it alone."""
    while times > 0:
        power = math.ldexp(1.0, math.frexp(total)[1])  # the next power of two above `total`
        exact = min(times, int((power - total) // step))
        total += exact * step
        times -= exact
        if times:
            total += step
            times -= 1
    return total


class WorkingCalendar:
    """A region's working days: the mainland China base calendar plus the region's overrides."""

    def __init__(self, region: str, overrides: Mapping[date, DayOverride] | None = None,
                 zone: str = DEFAULT_ZONE):
        self.region = region
        self.zone = ZoneInfo(zone)
        self.overrides = dict(overrides or {})
        self._base = _mainland_china()
        # Only the overrides that change a day's status change a count of working days: their ordinals,
        # sorted, and the running sum of their changes (+1 made working, -1 made a day off), so the change
        # over any range is two bisections.
        changes = sorted((day.toordinal(), o.working) for day, o in self.overrides.items()
                         if o.working != self._base_working(day))
        self._changed_days = [ordinal for ordinal, _ in changes]
        self._changed_to_working = [working for _, working in changes]
        self._changes_before = list(accumulate((1 if working else -1 for _, working in changes), initial=0))

    # -- days ---------------------------------------------------------------------------------------
    def is_working(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.working
        return self._base_working(day)

    def describe(self, day: date) -> CalendarDay:
        override = self.overrides.get(day)
        if override is not None:
            return CalendarDay(day, override.working, override.name, True)
        return CalendarDay(day, self._base_working(day), self._base.get(day), False)

    def days(self, start: date, end: date) -> list[CalendarDay]:
        return [self.describe(start + timedelta(days=i)) for i in range((end - start).days + 1)]

    @staticmethod
    def _base_working(day: date) -> bool:
        year = _base_year(day.year)
        return bool(year.working[day.toordinal() - year.start])

    def _working_days(self, lo: int, hi: int) -> int:
        """Working days in [lo, hi) (ordinals): the base calendar's count, corrected by the overrides."""
        if hi <= lo:
            return 0
        first, last = bisect_left(self._changed_days, lo), bisect_left(self._changed_days, hi)
        return _base_working_days(lo, hi) + self._changes_before[last] - self._changes_before[first]

    def _nth_working_day(self, lo: int, n: int, stop: int) -> int | None:
        """The ordinal of the n-th (n ≥ 1) working day in [lo, stop), or None. A year at a time; within the
        year, the base calendar's running count answers between the days an override changed (a few a year),
        which are stepped over one by one."""
        while lo < stop:
            year = _base_year_of(lo)
            hi = min(year.end, stop)
            for i in range(bisect_left(self._changed_days, lo), bisect_left(self._changed_days, hi)):
                changed = self._changed_days[i]
                if year.count(lo, changed) >= n:
                    return year.nth(lo, n)
                n -= year.count(lo, changed)
                if self._changed_to_working[i]:
                    n -= 1
                    if n == 0:
                        return changed
                lo = changed + 1
            if year.count(lo, hi) >= n:
                return year.nth(lo, n)
            n -= year.count(lo, hi)
            lo = hi
        return None

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
        first, last = a.date(), b.date()
        if first == last:
            return int(round((b - a).total_seconds())) if self.is_working(first) else 0
        # The partial first day, the whole days in between, the partial last day; summed in floats in that
        # order, as the day-by-day walk did, so that rounding to whole seconds gives the same answer.
        total = 0.0
        if self.is_working(first):
            total += (datetime.combine(first + timedelta(days=1), time()) - a).total_seconds()
        whole_days = self._working_days(first.toordinal() + 1, last.toordinal())
        total = _add_repeatedly(total, float(DAY), whole_days)
        if self.is_working(last):
            total += (b - datetime.combine(last, time())).total_seconds()
        return int(round(total))

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant at which `seconds` of working time have passed since `start`.
        Landing exactly on a working day's end gives that day's 24:00, never the next working morning."""
        if seconds <= 0:
            return start
        here = self.local(start)
        remaining = float(seconds)
        day = here.date()
        if self.is_working(day):  # the partial first day
            available = (datetime.combine(day + timedelta(days=1), time()) - here).total_seconds()
            if remaining <= available:
                return self.instant(here + timedelta(seconds=remaining))
            remaining -= available
        if math.isfinite(remaining):
            # Whole working days from the next one on: the n-th working day is the first on which at most
            # a day is left (≤, so that landing on a day's end stays on that day). A whole day is a multiple
            # of the float spacing below 2**60, so taking whole days off `remaining` is exact: this is what
            # subtracting them one day at a time gives, not an estimate.
            days, rest = divmod(remaining, DAY)
            n = int(days) + (1 if rest > 0 else 0)
            # The guard of the former day-by-day walk: give up after MAX_SEARCH_DAYS * 10 days, the start
            # day included (a calendar marked all off for years is broken; see the equivalence tests).
            stop = day.toordinal() + MAX_SEARCH_DAYS * 10
            landing = self._nth_working_day(day.toordinal() + 1, n, stop)
            if landing is not None:
                midnight = datetime.combine(date.fromordinal(landing), time())
                return self.instant(midnight + timedelta(seconds=remaining - (n - 1) * DAY))
        raise ValueError(f"calendar {self.region!r} has no working day for years after {start.date()}")

    def deadline(self, started_at: datetime, limit_days: int, paused_seconds: float = 0) -> datetime:
        """24:00 of the N-th working day after the start day, moved out by the working time paused."""
        return self.deadline_from(self.counting_start(started_at), limit_days, paused_seconds)

    def deadline_from(self, counting_start: datetime, limit_days: int, paused_seconds: float = 0) -> datetime:
        """The same, from the counting start already worked out (`counting_start(started_at)`)."""
        return self.add_working_seconds(counting_start, limit_days * DAY + paused_seconds)
