"""Working days, working time and clocks (DESIGN §5, §6), pure: fixed instants, never the real clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizext.workflow.calendars import DAY, DayOverride, WorkingCalendar
from bizext.workflow.clocks import EscalationLevel, Run, default_levels, level_due_at, standing
from bizext.workflow.clocks import deadline as run_deadline
from tests.instants import TUE_29_SEP_2026_10AM_SHANGHAI

CAL = WorkingCalendar("pudong")
# Mon 30 Nov 2026 10:00 in Shanghai. 1–4 Dec (Tue–Fri) are ordinary working days, 5–6 Dec a weekend.
MON_30_NOV_2026_10AM_SHANGHAI = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def shanghai_midnight(day: date) -> datetime:
    """00:00 local time at the start of `day`, as a UTC instant."""
    return CAL.instant(datetime.combine(day, time()))


# -- the official calendar ------------------------------------------------------------------------------
def test_the_2026_national_day_week_is_off_and_its_adjusted_weekend_days_are_working():
    assert not any(CAL.is_working(date(2026, 10, d)) for d in range(1, 8))
    assert CAL.is_working(date(2026, 9, 20)) and date(2026, 9, 20).weekday() == 6  # Sunday, 调休
    assert CAL.is_working(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5  # Saturday, 调休
    assert not CAL.is_working(date(2026, 10, 11))  # an ordinary Sunday stays off
    assert CAL.is_working(date(2026, 9, 30)) and CAL.is_working(date(2026, 10, 8))
    assert CAL.describe(date(2026, 10, 1)).name == "National Day"


def test_a_clock_started_before_national_day_ends_after_the_holiday_week():
    """DESIGN §5's worked example: counted days 09-30, 10-08, 10-09, 10-10, 10-12."""
    started = TUE_29_SEP_2026_10AM_SHANGHAI
    assert started == datetime.fromisoformat("2026-09-29T10:00:00+08:00")
    assert CAL.deadline(started, 5) == utc(2026, 10, 12, 16)
    assert CAL.deadline(started, 5).astimezone(CAL.zone) == datetime.fromisoformat("2026-10-13T00:00:00+08:00")
    # one day less ends at 24:00 of the adjusted working Saturday; the start day itself never counts
    assert CAL.deadline(started, 4) == utc(2026, 10, 10, 16)
    assert CAL.deadline(started, 1) == utc(2026, 9, 30, 16)
    assert CAL.counting_start(started) == utc(2026, 9, 29, 16)


def test_the_start_day_never_counts_even_when_the_clock_starts_at_its_first_second():
    assert CAL.deadline(shanghai_midnight(date(2026, 11, 30)), 1) == shanghai_midnight(date(2026, 12, 2))
    assert CAL.deadline(shanghai_midnight(date(2026, 12, 1)) - timedelta(seconds=1), 1) == \
        shanghai_midnight(date(2026, 12, 2))


def test_working_time_skips_the_holiday_week():
    # Wed 30 Sep 00:00 → Fri 9 Oct 00:00 local: 30 Sep and 8 Oct are the only working days in between
    assert CAL.working_seconds(shanghai_midnight(date(2026, 9, 30)), shanghai_midnight(date(2026, 10, 9))) == 2 * DAY
    # landing exactly on a working day's end gives that day's 24:00, never the next working morning
    assert CAL.add_working_seconds(shanghai_midnight(date(2026, 9, 30)), DAY) == shanghai_midnight(date(2026, 10, 1))
    assert CAL.add_working_seconds(shanghai_midnight(date(2026, 9, 30)), DAY + 1) == \
        shanghai_midnight(date(2026, 10, 8)) + timedelta(seconds=1)


# -- overrides ------------------------------------------------------------------------------------------
def test_an_override_turning_a_working_day_into_a_holiday_moves_the_deadline_one_working_day_later():
    started = MON_30_NOV_2026_10AM_SHANGHAI  # limit 3: Tue, Wed, Thu → Thu 24:00
    assert CAL.deadline(started, 3) == shanghai_midnight(date(2026, 12, 4))
    typhoon = WorkingCalendar("pudong", {date(2026, 12, 2): DayOverride(date(2026, 12, 2), False, "typhoon day")})
    assert not typhoon.is_working(date(2026, 12, 2))
    assert typhoon.describe(date(2026, 12, 2)).overridden and typhoon.describe(date(2026, 12, 2)).name == "typhoon day"
    assert typhoon.deadline(started, 3) == shanghai_midnight(date(2026, 12, 5))  # Fri 24:00
    # the override belongs to its calendar only
    assert CAL.is_working(date(2026, 12, 2))


def test_an_override_turning_a_weekend_day_into_a_working_day_moves_the_deadline_earlier():
    started = MON_30_NOV_2026_10AM_SHANGHAI  # limit 5: Tue–Fri, then Mon 7 Dec → Mon 24:00
    assert CAL.deadline(started, 5) == shanghai_midnight(date(2026, 12, 8))
    adjusted = WorkingCalendar("pudong", {date(2026, 12, 5): DayOverride(date(2026, 12, 5), True, "调休")})
    assert adjusted.deadline(started, 5) == shanghai_midnight(date(2026, 12, 6))  # Sat 24:00


def test_an_override_outside_the_counted_days_changes_nothing():
    started = MON_30_NOV_2026_10AM_SHANGHAI
    later = WorkingCalendar("pudong", {date(2026, 12, 9): DayOverride(date(2026, 12, 9), False, "later")})
    start_day = WorkingCalendar("pudong", {date(2026, 11, 30): DayOverride(date(2026, 11, 30), False, "start")})
    assert later.deadline(started, 3) == start_day.deadline(started, 3) == CAL.deadline(started, 3)


def test_an_override_can_restore_a_national_holiday_as_a_working_day():
    restored = WorkingCalendar("pudong", {date(2026, 10, 1): DayOverride(date(2026, 10, 1), True)})
    assert restored.deadline(TUE_29_SEP_2026_10AM_SHANGHAI, 2) == shanghai_midnight(date(2026, 10, 2))
    assert CAL.deadline(TUE_29_SEP_2026_10AM_SHANGHAI, 2) == shanghai_midnight(date(2026, 10, 9))


# -- properties -----------------------------------------------------------------------------------------
PROPERTIES = settings(max_examples=200, deadline=None)
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59),
                        timezones=st.just(UTC))
#: Instants as they are stored and sent: whole seconds (working_seconds rounds to whole seconds, so sums
#: of sub-second pieces may differ from the whole by the rounding).
whole_second_instants = instants.map(lambda i: i.replace(microsecond=0))
working_time = st.integers(min_value=0, max_value=40 * DAY)
limits = st.integers(min_value=1, max_value=40)


@PROPERTIES
@given(start=instants, seconds=working_time)
def test_adding_then_measuring_working_time_round_trips(start, seconds):
    end = CAL.add_working_seconds(start, seconds)
    assert end >= start
    assert CAL.working_seconds(start, end) == seconds


@PROPERTIES
@given(start=whole_second_instants, seconds=st.integers(min_value=1, max_value=40 * DAY))
def test_added_working_time_is_reached_no_earlier_than_it_must(start, seconds):
    """add_working_seconds gives the earliest such instant: a second before it, less time has been worked."""
    end = CAL.add_working_seconds(start, seconds)
    assert CAL.working_seconds(start, end - timedelta(seconds=1)) == seconds - 1


@PROPERTIES
@given(start=instants, limit=limits)
def test_a_deadline_is_local_midnight_at_the_end_of_a_working_day(start, limit):
    due = CAL.deadline(start, limit)
    local = CAL.local(due)
    assert local.time() == time(0, 0)
    last_counted_day = local.date() - timedelta(days=1)
    assert CAL.is_working(last_counted_day)
    assert last_counted_day > CAL.local(start).date()  # the start day never counts
    # exactly `limit` working days lie between the start day and the deadline
    assert CAL.working_seconds(CAL.counting_start(start), due) == limit * DAY


@PROPERTIES
@given(start=instants, limit=limits)
def test_a_deadline_grows_with_the_limit(start, limit):
    assert CAL.deadline(start, limit) < CAL.deadline(start, limit + 1)
    assert CAL.deadline(start, limit + 1) - CAL.deadline(start, limit) >= timedelta(days=1)


@PROPERTIES
@given(start=instants, limit=limits, paused=working_time)
def test_pauses_only_move_deadlines_later(start, limit, paused):
    without = CAL.deadline(start, limit)
    with_pause = CAL.deadline(start, limit, paused)
    assert with_pause >= without
    assert CAL.working_seconds(without, with_pause) == paused  # by exactly the working time paused
    if paused:
        assert with_pause > without


@PROPERTIES
@given(points=st.lists(whole_second_instants, min_size=3, max_size=3))
def test_working_time_is_additive_over_a_split_point(points):
    a, b, c = sorted(points)
    assert CAL.working_seconds(a, c) == CAL.working_seconds(a, b) + CAL.working_seconds(b, c)
    assert CAL.working_seconds(c, a) == 0


@PROPERTIES
@given(start=whole_second_instants, limit=limits,
       day=st.dates(min_value=date(2024, 1, 2), max_value=date(2028, 6, 30)))
def test_turning_a_day_off_never_moves_a_deadline_earlier(start, limit, day):
    off = WorkingCalendar("pudong", {day: DayOverride(day, False)})
    on = WorkingCalendar("pudong", {day: DayOverride(day, True)})
    assert on.deadline(start, limit) <= CAL.deadline(start, limit) <= off.deadline(start, limit)


# -- clocks: where a run stands ---------------------------------------------------------------------------
# Started Mon 30 Nov 10:00, 3 working days: counts Tue 1, Wed 2, Thu 3 Dec → deadline Thu 24:00 local.
RUN = Run(started_at=MON_30_NOV_2026_10AM_SHANGHAI, limit_days=3, warning_days=1)
DEADLINE = shanghai_midnight(date(2026, 12, 4))  # 2026-12-03T16:00Z
SECOND = timedelta(seconds=1)


def test_a_running_clock_is_on_track_until_one_working_day_is_left():
    assert DEADLINE == utc(2026, 12, 3, 16)
    assert standing(CAL, RUN, RUN.started_at).elapsed == 0  # the start day does not count
    before = standing(CAL, RUN, DEADLINE - timedelta(days=1) - SECOND)
    assert (before.status, before.due, before.remaining, before.elapsed) == (
        "running", "on_track", DAY + 1, 2 * DAY - 1)
    assert before.deadline_at == DEADLINE and before.met is None


def test_a_running_clock_is_due_soon_from_one_working_day_left_until_its_deadline():
    at_warning = standing(CAL, RUN, DEADLINE - timedelta(days=1))
    assert (at_warning.due, at_warning.remaining) == ("due_soon", DAY)
    at_deadline = standing(CAL, RUN, DEADLINE)
    assert (at_deadline.due, at_deadline.remaining, at_deadline.elapsed) == ("due_soon", 0, 3 * DAY)


def test_a_running_clock_is_overdue_one_second_after_its_deadline():
    after = standing(CAL, RUN, DEADLINE + SECOND)
    assert (after.status, after.due, after.remaining) == ("running", "overdue", -1)


def test_a_clock_whose_deadline_passed_before_a_weekend_is_overdue_during_the_weekend():
    run = Run(started_at=MON_30_NOV_2026_10AM_SHANGHAI, limit_days=4, warning_days=1)  # Fri 24:00
    saturday_noon = CAL.instant(datetime(2026, 12, 5, 12))
    s = standing(CAL, run, saturday_noon)
    assert s.deadline_at == shanghai_midnight(date(2026, 12, 5))
    assert (s.remaining, s.due) == (0, "overdue")  # no working time has passed since, yet it is late


def test_a_paused_run_reports_paused_and_its_elapsed_time_is_frozen():
    paused_at = CAL.instant(datetime(2026, 12, 2, 12))  # Wed noon: 1.5 working days counted
    run = Run(started_at=RUN.started_at, limit_days=3, warning_days=1, paused_since=paused_at)
    first = standing(CAL, run, CAL.instant(datetime(2026, 12, 3, 12)))
    later = standing(CAL, run, CAL.instant(datetime(2026, 12, 10, 12)))
    assert first.status == later.status == "paused"
    assert first.elapsed == later.elapsed == DAY + DAY // 2
    assert first.remaining == later.remaining == DAY + DAY // 2
    assert first.due == later.due == "on_track"
    # the deadline is where it would be if the run resumed now: it moves out while the pause lasts
    assert first.deadline_at == shanghai_midnight(date(2026, 12, 5))  # Thu noon → Fri 24:00 (+1 day)
    assert later.deadline_at > first.deadline_at > DEADLINE
    assert run_deadline(CAL, run) == DEADLINE  # without `now`: the pauses finished so far only


def test_finished_pauses_move_the_deadline_by_the_working_time_they_covered():
    run = Run(started_at=RUN.started_at, limit_days=3, warning_days=1, paused_seconds=DAY)
    assert run_deadline(CAL, run) == shanghai_midnight(date(2026, 12, 5))
    s = standing(CAL, run, DEADLINE + SECOND)  # Fri 00:00:01: would be late without the pause
    assert (s.due, s.elapsed, s.remaining) == ("due_soon", 2 * DAY + 1, DAY - 1)


@pytest.mark.parametrize("stopped_at, met", [(DEADLINE, True), (DEADLINE + SECOND, False)])
def test_a_stopped_run_is_met_exactly_up_to_its_deadline(stopped_at, met):
    run = Run(started_at=RUN.started_at, limit_days=3, warning_days=1, stopped_at=stopped_at)
    s = standing(CAL, run, stopped_at + timedelta(days=30))
    assert (s.status, s.met) == ("stopped", met)
    assert s.elapsed == standing(CAL, run, stopped_at).elapsed  # frozen once stopped
    assert s.due == ("due_soon" if met else "overdue")


# -- clocks: escalation levels ---------------------------------------------------------------------------
@pytest.mark.parametrize("limit, later", [(1, 1), (2, 1), (3, 2), (5, 3), (10, 5), (15, 8), (22, 11)])
def test_level_2_falls_due_half_the_limit_rounded_up_after_the_deadline(limit, later):
    levels = default_levels(limit, 1)
    assert [(lv.level, lv.kind, lv.recipients) for lv in levels] == [
        (0, "warning", "stage_owner"), (1, "breach", "project_manager"), (2, "breach", "supervisors")]
    assert levels[2].offset_days == later
    run = Run(started_at=TUE_29_SEP_2026_10AM_SHANGHAI, limit_days=limit, warning_days=1)
    due = CAL.deadline(run.started_at, limit)
    assert level_due_at(CAL, run, levels[1]) == due
    assert level_due_at(CAL, run, levels[2]) == CAL.add_working_seconds(due, later * DAY)
    assert CAL.working_seconds(due, level_due_at(CAL, run, levels[2])) == later * DAY
    assert level_due_at(CAL, run, levels[0]) == CAL.add_working_seconds(
        CAL.counting_start(run.started_at), (limit - 1) * DAY)


def test_a_warning_larger_than_the_limit_falls_due_when_counting_begins():
    run = Run(started_at=TUE_29_SEP_2026_10AM_SHANGHAI, limit_days=1, warning_days=2)
    assert level_due_at(CAL, run, EscalationLevel(0, "warning", "stage_owner", -2)) == utc(2026, 9, 29, 16)


def test_escalation_levels_move_out_with_finished_pauses():
    run = Run(started_at=TUE_29_SEP_2026_10AM_SHANGHAI, limit_days=5, warning_days=1, paused_seconds=2 * DAY)
    level1 = default_levels(5, 1)[1]
    assert level_due_at(CAL, run, level1) == run_deadline(CAL, run) == shanghai_midnight(date(2026, 10, 15))


@PROPERTIES
@given(start=whole_second_instants, limit=limits, paused=working_time,
       pause_start=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
       now=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=80)), paused_run=st.booleans())
def test_a_standings_deadline_is_the_run_deadline_from_its_start_day_and_all_working_time_paused(
        start, limit, paused, pause_start, now, paused_run):
    """`standing` works the counting start out once and hands it on; what it answers is still the deadline
    spelled out from the start: the limit's working days after the start day, moved out by the finished pauses
    and, for a paused run, the working time paused so far."""
    since = start + pause_start if paused_run else None
    at = max(start + now, since) if since else start + now
    run = Run(started_at=start, limit_days=limit, warning_days=1, paused_seconds=paused, paused_since=since)
    so_far = CAL.working_seconds(max(since, CAL.counting_start(start)), at) if since else 0
    expected = CAL.deadline(start, limit, paused + so_far)
    assert standing(CAL, run, at).deadline_at == run_deadline(CAL, run, at) == expected
    assert CAL.deadline_from(CAL.counting_start(start), limit, paused) == CAL.deadline(start, limit, paused)
