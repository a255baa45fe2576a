"""Regional working-day calendars: the base calendar plus overrides that admins record."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bizext.db.models import CalendarOverride
from bizext.db.session import UnitOfWork
from bizext.services import clocks
from bizext.services.errors import NotFound
from bizext.services.principals import actor_label, require
from bizext.workflow.calendars import CalendarDay, DayOverride, WorkingCalendar
from bizext.workflow.engine import Actor
from bizext.workflow.errors import FieldProblem, InvalidInput

MAX_RANGE_DAYS = 366


def calendar_for(uow: UnitOfWork, region: str) -> WorkingCalendar:
    """The region's calendar as of now: base calendar and the overrides stored for the region."""
    overrides = {o.day: DayOverride(o.day, o.working, o.name) for o in uow.calendars.overrides(region)}
    return WorkingCalendar(region, overrides)


def days(uow: UnitOfWork, region: str, start: date | None, end: date | None, today: date) -> list[CalendarDay]:
    start = start or today.replace(day=1)
    end = end or start + timedelta(days=41)
    if end < start:
        raise InvalidInput([FieldProblem("", "`to` must not be before `from`")], detail="empty date range")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidInput([FieldProblem("", f"a range covers at most {MAX_RANGE_DAYS} days")],
                           detail="date range too long")
    return calendar_for(uow, region).days(start, end)


def set_day(uow: UnitOfWork, actor: Actor, region: str, day: date, *, working: bool, name: str | None,
            now: datetime) -> tuple[CalendarDay, int]:
    """Record an override and move the deadlines of the region's running clocks accordingly.
    Returns the day and how many clock runs were recomputed."""
    require(actor, "admin")
    row = uow.calendars.get(region, day)
    if row is None:
        row = uow.calendars.add(CalendarOverride(region=region, day=day, working=working, name=name,
                                                 updated_by=actor_label(actor), updated_at=now))
    else:
        row.working, row.name, row.updated_by, row.updated_at = working, name, actor_label(actor), now
    uow.calendars.flush()
    moved = clocks.recompute_region(uow, region, calendar_for(uow, region))
    uow.commit()
    return calendar_for(uow, region).describe(day), moved


def clear_day(uow: UnitOfWork, actor: Actor, region: str, day: date) -> int:
    require(actor, "admin")
    row = uow.calendars.get(region, day)
    if row is None:
        raise NotFound("calendar override", f"{region}/{day.isoformat()}")
    uow.calendars.remove(row)
    uow.calendars.flush()
    moved = clocks.recompute_region(uow, region, calendar_for(uow, region))
    uow.commit()
    return moved
