"""Regional working-day calendars and their overrides."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Path, Query, Response, status

from bizext.api.deps import CurrentPrincipal, Now, RefuseNul, UnitOfWorkDep
from bizext.api.idempotency import Idempotent
from bizext.api.problems import documented
from bizext.api.schemas.clocks import CalendarDayOut, CalendarOut, DayOverrideIn, DayOverrideOut
from bizext.services import calendars

router = APIRouter(prefix="/v1/calendars", tags=["calendars"], responses=documented(401, 422), dependencies=[RefuseNul])
Region = Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")


@router.get("/{region}", response_model=CalendarOut, summary="Working days of a region (default: this month)")
def get_calendar(uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now, region: str = Region,
                 from_: date | None = Query(None, alias="from"), to: date | None = None) -> CalendarOut:
    cal = calendars.calendar_for(uow, region)
    days = calendars.days(uow, region, from_, to, cal.local(now).date())
    return CalendarOut(region=region, time_zone=str(cal.zone), days=[
        CalendarDayOut(date=d.day, working=d.working, name=d.name, overridden=d.overridden) for d in days])


@router.put("/{region}/days/{day}", response_model=DayOverrideOut, responses=documented(400, 403),
            summary="Record an override for one date (admin); running deadlines in the region move")
def put_day(day: date, body: DayOverrideIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
            idem: Idempotent, region: str = Region) -> Response:
    d, moved = calendars.set_day(uow, actor, region, day, working=body.working, name=body.name, now=now)
    return idem.respond(200, DayOverrideOut(region=region, date=d.day, working=d.working, name=d.name,
                                            overridden=True, clock_runs_recomputed=moved))


@router.delete("/{region}/days/{day}", status_code=status.HTTP_204_NO_CONTENT, responses=documented(403, 404),
               summary="Remove an override (admin); the base calendar applies again")
def delete_day(day: date, uow: UnitOfWorkDep, actor: CurrentPrincipal, idem: Idempotent,
               region: str = Region) -> Response:
    calendars.clear_day(uow, actor, region, day)
    return idem.respond(204, None)
