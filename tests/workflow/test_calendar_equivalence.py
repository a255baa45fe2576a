"""The calendar arithmetic over the cached base calendar gives exactly the answers of the day-by-day walk it
replaced. The walk is kept here, and only here, as the reference: it asks `holidays` about every day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bizext.workflow.calendars import DAY, MAX_SEARCH_DAYS, DayOverride, WorkingCalendar, _mainland_china
from bizext.workflow.clocks import Run, level_due_at, standing
from bizext.workflow.clocks import deadline as run_deadline
from bizext.workflow.clocks import default_levels


class WalkingCalendar(WorkingCalendar):
    """The reference: the day-by-day walk as it was before the base calendar was cached by year."""

    def is_working(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.working
        return _mainland_china().is_working_day(day)

    def working_seconds(self, start: datetime, end: datetime) -> int:
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


def calendars(overrides: dict[date, bool]) -> tuple[WorkingCalendar, WalkingCalendar]:
    days = {day: DayOverride(day, working, "override") for day, working in overrides.items()}
    return WorkingCalendar("pudong", days), WalkingCalendar("pudong", days)


CST = timezone(timedelta(hours=8))  # Asia/Shanghai has kept +08:00 all year since 1991
FIRST, LAST = date(2019, 1, 1), date(2030, 12, 31)


def _notable_days() -> list[date]:
    """Holidays on weekdays (Spring Festival, National Day…), adjusted working weekends (调休), year ends."""
    base, notable = _mainland_china(), []
    for n in range((LAST - FIRST).days + 1):
        day = FIRST + timedelta(days=n)
        if base.is_working_day(day) != (day.weekday() < 5) or (day.month, day.day) in ((12, 31), (1, 1)):
            notable.append(day)
    return notable


NOTABLE = _notable_days()
days = st.one_of(st.sampled_from(NOTABLE), st.dates(min_value=FIRST, max_value=LAST))
saturdays = st.dates(min_value=FIRST, max_value=LAST - timedelta(days=7)).map(
    lambda d: d + timedelta(days=(5 - d.weekday()) % 7))
zones = st.sampled_from([UTC, CST])
#: instants near notable days (local midnights exactly, or up to two days either side, with or without
#: microseconds), or anywhere in 2019–2030; sent in UTC or +08:00
near_notable = st.builds(
    lambda day, offset, micro, tz: (datetime.combine(day, time(), CST)
                                    + timedelta(seconds=offset, microseconds=micro)).astimezone(tz),
    days, st.one_of(st.just(0), st.integers(-2 * DAY, 2 * DAY)), st.one_of(st.just(0), st.integers(0, 999_999)),
    zones)
anywhere = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2030, 12, 31, 23, 59, 59),
                        timezones=zones)
instants = st.one_of(near_notable, anywhere)
#: overrides anywhere in the range, on notable days, on Saturdays, or just after a start (see `overrides_near`)
overrides = st.dictionaries(st.one_of(days, saturdays), st.booleans(), max_size=8)
seconds = st.one_of(st.integers(0, 400 * DAY), st.integers(0, 400).map(lambda n: n * DAY),
                    st.integers(0, 800).map(lambda n: n * DAY / 2), st.floats(0, 400 * DAY),
                    st.integers(-DAY, 0))
EQUIVALENCE = settings(max_examples=300, deadline=None)


def overrides_near(data: st.DataObject, instant: datetime) -> dict[date, bool]:
    """Random overrides plus some within the next ~600 days of `instant`, where counting happens."""
    start = instant.astimezone(CST).date()
    near = data.draw(st.dictionaries(st.integers(-3, 600).map(lambda n: start + timedelta(days=n)), st.booleans(),
                                     max_size=8))
    return data.draw(overrides) | near


@EQUIVALENCE
@given(data=st.data(), start=instants, end=instants)
# sub-second instants at both ends whose fractions add up to half a second: the float sum over whole days
# must round the way the walk's did (adding n × 86400 at once would give the other whole second)
@example(data=None, start=datetime(2023, 1, 18, 15, 51, 27, 621430, tzinfo=UTC),
         end=datetime(2024, 7, 30, 20, 36, 21, 121430, tzinfo=UTC))
@example(data=None, start=datetime(2029, 4, 17, 6, 24, 55, 644385, tzinfo=UTC),
         end=datetime(2029, 6, 4, 20, 10, 14, 144385, tzinfo=UTC))
@example(data=None, start=datetime(2029, 10, 11, 15, 15, 58, 657815, tzinfo=UTC),
         end=datetime(2030, 9, 19, 8, 14, 30, 157815, tzinfo=UTC))
def test_working_seconds_are_those_of_the_day_by_day_walk(data, start, end):
    fast, walk = calendars(overrides_near(data, start) if data is not None else {})
    assert fast.working_seconds(start, end) == walk.working_seconds(start, end)
    assert fast.working_seconds(end, start) == walk.working_seconds(end, start)


@EQUIVALENCE
@given(data=st.data(), start=instants, seconds=seconds)
def test_adding_working_seconds_lands_where_the_day_by_day_walk_lands(data, start, seconds):
    fast, walk = calendars(overrides_near(data, start))
    assert fast.add_working_seconds(start, seconds) == walk.add_working_seconds(start, seconds)
    if seconds <= 0:
        assert fast.add_working_seconds(start, seconds) is start


@EQUIVALENCE
@given(data=st.data(), start=instants, limit=st.integers(0, 400),
       paused=st.one_of(st.just(0), st.integers(0, 30 * DAY), st.floats(0, 30 * DAY)))
def test_deadlines_are_those_of_the_day_by_day_walk(data, start, limit, paused):
    fast, walk = calendars(overrides_near(data, start))
    assert fast.deadline(start, limit, paused) == walk.deadline(start, limit, paused)


@EQUIVALENCE
@given(data=st.data(), start=instants, limit=st.integers(1, 60), warning=st.sampled_from([0.5, 1, 2, 0.3]),
       paused=st.integers(0, 10 * DAY), pause_after=st.one_of(st.none(), st.integers(0, 90 * DAY)),
       now_after=st.integers(0, 120 * DAY))
def test_where_a_clock_stands_is_what_the_day_by_day_walk_says(data, start, limit, warning, paused, pause_after,
                                                               now_after):
    fast, walk = calendars(overrides_near(data, start))
    paused_since = None if pause_after is None else start + timedelta(seconds=pause_after)
    run = Run(started_at=start, limit_days=limit, warning_days=warning, paused_seconds=paused,
              paused_since=paused_since)
    now = start + timedelta(seconds=now_after)
    assert standing(fast, run, now) == standing(walk, run, now)
    assert run_deadline(fast, run, now) == run_deadline(walk, run, now)
    for level in default_levels(limit, warning):
        assert level_due_at(fast, run, level) == level_due_at(walk, run, level)


# -- a calendar with no working day for years -----------------------------------------------------------------
START_DAY = date(2026, 1, 5)  # a Monday
START = datetime.combine(START_DAY, time(10), CST)
#: the walk looked at this many days, the start day included, before giving up
SEARCHED = MAX_SEARCH_DAYS * 10


def all_off(days_after_start: int, except_day: int | None = None) -> dict[date, bool]:
    return {START_DAY + timedelta(days=n): n == except_day for n in range(days_after_start)}


@pytest.mark.parametrize("calendar", calendars(all_off(SEARCHED + 400)), ids=["fast", "walk"])
def test_a_calendar_with_no_working_day_for_years_is_an_error_not_an_endless_search(calendar):
    with pytest.raises(ValueError, match="no working day for years"):
        calendar.add_working_seconds(START, 1)
    with pytest.raises(ValueError, match="no working day for years"):
        calendar.deadline(START, 1)
    assert calendar.working_seconds(START, START + timedelta(days=SEARCHED)) == 0


@pytest.mark.parametrize("last_working, found", [(SEARCHED - 1, True), (SEARCHED, False)])
def test_the_search_gives_up_exactly_where_the_walk_did(last_working, found):
    """Only one working day, the last one the walk looked at or the day after it."""
    for calendar in calendars(all_off(SEARCHED + 400, except_day=last_working)):
        if found:
            landing = datetime.combine(START_DAY + timedelta(days=last_working + 1), time(), CST)
            assert calendar.add_working_seconds(START, DAY) == landing
        else:
            with pytest.raises(ValueError, match="no working day for years"):
                calendar.add_working_seconds(START, DAY)
