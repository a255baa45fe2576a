"""The performance report, as JSON and as CSV (the same fields, one CSV section per table)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bizext.api.schemas.common import Label
from bizext.services.reports import Overview, PerformanceReport

DAYS = "working days"


class PeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="first local day of the period")
    to: date = Field(description="last local day of the period (inclusive)")
    start_at: datetime = Field(description="00:00 local time of `from`")
    end_at: datetime = Field(description="24:00 local time of `to` (exclusive)")
    time_zone: str


class ClockRow(BaseModel):
    workflow: str
    clock: str
    label: Label | None
    stopped: int = Field(description="runs that stopped in the period")
    met: int = Field(description="of those, runs that stopped by their deadline")
    met_percent: float | None = Field(description="met / stopped × 100, one decimal; null when none stopped")
    median_days: float | None = Field(description=f"median {DAYS} counted by the runs stopped in the period "
                                                  "(paused time left out)")
    p90_days: float | None = Field(description=f"90th percentile (nearest rank) of the same, in {DAYS}")
    open_overdue: int = Field(description="runs not stopped and past their deadline now, whenever they started")


class OwnerRow(BaseModel):
    staff_id: uuid.UUID
    name: str
    open_stages: int = Field(description="stages the person owns now")
    overdue_stages: int = Field(description="of those, stages whose stage clock is past its deadline now")
    escalations_received: int = Field(description="escalations raised to the person in the period (any kind)")
    stages_measured: int = Field(description="stages the person owned that were left in the period and have a "
                                             "stage clock (one that times exactly that stage)")
    median_stage_days: float | None = Field(description=f"median {DAYS} counted by those stage clocks")


class HoldDays(BaseModel):
    customer: float
    external: float
    utility: float


class ConnectionRow(BaseModel):
    workflow: str
    voltage_kv: float
    supply: str
    count: int = Field(description="projects energized in the period")
    median_days: float = Field(description="median calendar days from application (received_at) to energization")
    mean_days: float = Field(description="mean calendar days from application to energization")
    mean_utility_days: float = Field(description="mean calendar days spent in utility-side stages")
    mean_customer_days: float = Field(description="mean calendar days spent in customer-side stages "
                                                  "(utility + customer = mean_days)")
    mean_hold_days: HoldDays = Field(description="mean calendar days under holds of each party; a hold lies "
                                                 "within stages, so it is also counted in their side's time")


class FollowUpSummary(BaseModel):
    closed: int = Field(description="follow-ups closed in the period")
    mean_satisfaction: float | None = Field(description="1..5, two decimals")
    with_issues: int = Field(description="follow-ups that recorded at least one issue")
    issues_percent: float | None
    times_mismatch: int = Field(description="follow-ups where the customer said the times do not match the records")
    times_mismatch_percent: float | None


class FeedbackSummary(BaseModel):
    count: int = Field(description="customers' own ratings given in the period")
    mean_satisfaction: float | None


class PerformanceOut(BaseModel):
    period: PeriodOut
    region: str | None
    workflow: str | None
    generated_at: datetime
    clocks: list[ClockRow] = Field(description="per workflow and clock")
    owners: list[OwnerRow] = Field(description="per staff member who owns a stage, received an escalation or "
                                               "left a measured stage")
    connection_time: list[ConnectionRow] = Field(description="per workflow, voltage and supply (the World "
                                                             "Bank \"Getting Electricity\" view)")
    follow_ups: FollowUpSummary
    feedback: FeedbackSummary

    @classmethod
    def of(cls, r: PerformanceReport) -> PerformanceOut:
        p = r.period
        return cls(
            period=PeriodOut(from_=p.first_day, to=p.last_day, start_at=p.start, end_at=p.end,
                             time_zone=r.time_zone),
            region=r.region, workflow=r.workflow, generated_at=r.generated_at,
            clocks=[ClockRow(workflow=c.workflow, clock=c.clock, label=Label(**c.label) if c.label else None,
                             stopped=c.stopped, met=c.met, met_percent=c.met_percent, median_days=c.median_days,
                             p90_days=c.p90_days, open_overdue=c.open_overdue) for c in r.clocks],
            owners=[OwnerRow(**vars(o)) for o in r.owners],
            connection_time=[ConnectionRow(**{**vars(c), "mean_hold_days": HoldDays(**c.mean_hold_days)})
                             for c in r.connection_time],
            follow_ups=FollowUpSummary(**vars(r.follow_ups)),
            feedback=FeedbackSummary(**vars(r.feedback)))


# -- the managers' overview --------------------------------------------------------------------------
class StateRow(BaseModel):
    workflow: str
    state: str
    label: Label
    side: str | None = Field(description="utility | customer: whose time the state takes")
    open: int = Field(description="projects in this state now")
    overdue: int = Field(description="of those, projects with a time limit past its deadline now")


class RegionRow(BaseModel):
    region: str
    open: int = Field(description="open projects (not in a terminal state) now")
    overdue: int = Field(description="of those, projects with a time limit past its deadline now")


class OwnerLoad(BaseModel):
    staff_id: uuid.UUID
    name: str
    open_stages: int
    overdue_stages: int = Field(description="of those, stages whose stage clock is past its deadline now")


class MonthClockRow(BaseModel):
    workflow: str
    clock: str
    label: Label | None
    stopped: int
    met: int
    met_percent: float | None


class MonthRow(BaseModel):
    month: str = Field(description="YYYY-MM (local months)", examples=["2026-11"])
    clocks: list[MonthClockRow] = Field(description="clocks with runs stopped in the month (the current month: "
                                                    "up to today)")


class ConnectionHistogram(BaseModel):
    workflow: str
    count: int = Field(description="projects energized in the period")
    counts: list[int] = Field(description="projects per bucket of `connection_edges_days`")


class OverviewOut(BaseModel):
    generated_at: datetime
    region: str | None
    workflow: str | None
    period: PeriodOut = Field(description="the months covered, up to today")
    open_by_state: list[StateRow]
    open_by_region: list[RegionRow]
    owners: list[OwnerLoad] = Field(description="staff who own open stages now, and how many are overdue")
    months: list[MonthRow] = Field(description="time limits met, month by month, oldest first")
    connection_edges_days: list[int] = Field(
        description="bucket i holds connections of edges[i] ≤ calendar days < edges[i+1]; the last is open")
    connection: list[ConnectionHistogram] = Field(
        description="calendar days from application to energization of the projects energized in the period")

    @classmethod
    def of(cls, o: Overview) -> OverviewOut:
        p = o.period
        return cls(
            generated_at=o.generated_at, region=o.region, workflow=o.workflow,
            period=PeriodOut(from_=p.first_day, to=p.last_day, start_at=p.start, end_at=p.end,
                             time_zone=o.time_zone),
            open_by_state=[StateRow(workflow=s.workflow, state=s.state, label=Label(**s.label), side=s.side,
                                    open=s.open, overdue=s.overdue) for s in o.open_by_state],
            open_by_region=[RegionRow(**vars(r)) for r in o.open_by_region],
            owners=[OwnerLoad(staff_id=w.staff_id, name=w.name, open_stages=w.open_stages,
                              overdue_stages=w.overdue_stages) for w in o.owners],
            months=[MonthRow(month=m.month.strftime("%Y-%m"), clocks=[
                MonthClockRow(workflow=c.workflow, clock=c.clock, label=Label(**c.label) if c.label else None,
                              stopped=c.stopped, met=c.met, met_percent=c.met_percent) for c in m.clocks])
                for m in o.months],
            connection_edges_days=list(o.connection_edges_days),
            connection=[ConnectionHistogram(**vars(c)) for c in o.connection])


# -- CSV ---------------------------------------------------------------------------------------------
CSV_DESCRIPTION = (
    "`Accept: text/csv`: one section per table, separated by an empty line. Each section starts with a header "
    "row whose first cell is `table`; each data row's first cell names its table (`report`, `clocks`, `owners`, "
    "`connection_time`, `follow_ups`, `feedback`). The other columns are the JSON fields of that table, nested "
    "objects flattened with `_` (`label_en`, `mean_hold_days_customer`); an empty cell is a null.")


def _flat(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(f"{prefix}_{key}" if prefix else key, item))
        return out
    return {prefix: value}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_csv(report: PerformanceOut) -> str:
    doc = report.model_dump(mode="json", by_alias=True)
    head = {**_flat("", doc["period"]), "region": doc["region"], "workflow": doc["workflow"],
            "generated_at": doc["generated_at"]}
    sections: list[tuple[str, list[str], list[dict[str, Any]]]] = [("report", list(head), [head])]
    for name, model in (("clocks", ClockRow), ("owners", OwnerRow), ("connection_time", ConnectionRow)):
        sections.append((name, _columns(model), [_flat("", row) for row in doc[name]]))
    for name in ("follow_ups", "feedback"):
        row = _flat("", doc[name])
        sections.append((name, list(row), [row]))
    out = io.StringIO()
    writer = csv.writer(out)
    for index, (name, columns, rows) in enumerate(sections):
        if index:
            writer.writerow([])
        writer.writerow(["table", *columns])
        for row in rows:
            writer.writerow([name, *(_cell(row.get(c)) for c in columns)])
    return out.getvalue()


def _columns(model: type[BaseModel]) -> list[str]:
    """A table's columns even when it has no rows: its fields, nested models flattened."""
    columns = []
    for name, field in model.model_fields.items():
        options = (field.annotation, *getattr(field.annotation, "__args__", ()))
        inner = next((a for a in options if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if inner is not None:
            columns += [f"{name}_{sub}" for sub in inner.model_fields]
        else:
            columns.append(name)
    return columns


__all__ = ["PerformanceOut", "OverviewOut", "as_csv", "CSV_DESCRIPTION"]
