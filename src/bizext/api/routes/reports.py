"""Performance reports for managers, as JSON or CSV (by `Accept`), and the overview a dashboard draws."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request, Response

from bizext.api.deps import CurrentPrincipal, Now, RefuseNul, UnitOfWorkDep
from bizext.api.negotiation import weighted
from bizext.api.problems import documented
from bizext.api.schemas.reports import CSV_DESCRIPTION, OverviewOut, PerformanceOut, as_csv
from bizext.services import reports

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=documented(401, 403, 422),
                   dependencies=[RefuseNul])
CSV = "text/csv"
JSON = "application/json"


def _match(accept: str, media_type: str) -> tuple[int, float]:
    """How specifically an Accept header names a media type (2 exactly, 1 type/*, 0 */*, -1 not at all) and
    the q it gives it there: the most specific matching range wins."""
    best: tuple[int, float] = (-1, 0.0)
    kind = media_type.split("/")[0]
    for rng, q in weighted(accept):
        specificity = 2 if rng == media_type else 1 if rng == f"{kind}/*" else 0 if rng == "*/*" else -1
        if specificity > best[0]:
            best = (specificity, q)
    return best


def wants_csv(accept: str | None) -> bool:
    """CSV when the client prefers it to JSON (or names it more specifically at the same q); JSON otherwise:
    no Accept, */*, application/json, or a tie between the two named alike."""
    if not accept:
        return False
    csv_spec, csv_q = _match(accept, CSV)
    json_spec, json_q = _match(accept, JSON)
    return csv_q > 0 and (csv_q > json_q or (csv_q == json_q and csv_spec > json_spec))


@router.get("/performance", response_model=PerformanceOut,
            responses={200: {"description": "The report (JSON by default)",
                             "content": {CSV: {"schema": {"type": "string"}}}}},
            summary="Clocks, owners, connection time and follow-ups over a period (managers)",
            description="Project managers, supervisors and admins. The period is local days `from`..`to` "
                        "(inclusive) in the calendars' zone, by default this month up to today; `region` and "
                        "`workflow` narrow it to projects of one region or workflow.\n\n" + CSV_DESCRIPTION)
def performance(request: Request, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                from_: date | None = Query(None, alias="from", description="first day (local date)"),
                to: date | None = Query(None, description="last day, inclusive (local date); default today"),
                region: str | None = Query(None, min_length=1, max_length=100),
                workflow: str | None = Query(None, min_length=1, max_length=50,
                                             description="hv-standard or lv-simple")) -> Response:
    report = PerformanceOut.of(reports.performance(uow, actor, first_day=from_, last_day=to, region=region,
                                                   workflow=workflow, now=now))
    headers = {"Vary": "Accept"}
    if wants_csv(request.headers.get("accept")):
        p = report.period
        headers["Content-Disposition"] = f'inline; filename="performance-{p.from_}-{p.to}.csv"'
        return Response(as_csv(report), media_type=f"{CSV}; charset=utf-8", headers=headers)
    return Response(report.model_dump_json(by_alias=True), media_type=JSON, headers=headers)


@router.get("/overview", response_model=OverviewOut,
            summary="Open and overdue work now, time limits met month by month, connection times (managers)",
            description="Project managers, supervisors and admins: what a dashboard draws. Open projects by state "
                        "and by region and overdue stages by owner are counted now; time limits met are counted "
                        "per local month over the last `months` months (the current one up to today); connection "
                        "times are the calendar days from application to energization of the projects energized "
                        "in those months, in buckets. `region` and `workflow` narrow it.")
def overview(uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
             months: int = Query(6, ge=1, le=reports.MAX_MONTHS, description="months to cover, this one included"),
             region: str | None = Query(None, min_length=1, max_length=100),
             workflow: str | None = Query(None, min_length=1, max_length=50,
                                          description="hv-standard or lv-simple")) -> OverviewOut:
    return OverviewOut.of(reports.overview(uow, actor, region=region, workflow=workflow, months=months, now=now))
