"""A project's progress as its customer sees it: which steps its workflow will take for its facts, where it
stands on them, and when it should be energized.

The happy path is read from the definition, never written down twice: a breadth-first search from a state
over the project's (state, flags) configurations, firing only transitions whose guards hold for its facts,
each to the destination the engine would take (the first whose guards hold), with the flags it `sets`
applied. The first path found to the success terminal state (`follow_up: true`) is the happy path: the
shortest one, ties broken by the order of the definition's transitions. Rework loops and failure terminals
never lie on it (they return to a configuration already seen, or end elsewhere), and a step skipped for these
facts (design review for a customer who is not important, joint review when it is not needed) is not on it
either. A state may appear twice when the forward path itself revisits it (construction resumes after an
important customer's intermediate inspection).

The forecast chains the remaining steps on the region's working calendar: the current stage ends at its
clock's deadline while on track (now, once overdue); a utility step that starts a stage clock takes that
clock's limit in working days; one inside a clock already running (scheme drafting within the scheme reply
limit) adds nothing; a customer's own step takes the median calendar days that the same step took on other
projects (customer time runs on the customer's calendar, not the utility's working days), and, when there is
no history, the date depends on the customer and is not given.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from bizext.workflow import clocks as rules
from bizext.workflow.calendars import WorkingCalendar
from bizext.workflow.definitions import Label, TransitionDef, WorkflowDefinition
from bizext.workflow.guards import GUARDS, ProjectFacts

DONE, CURRENT, UPCOMING = "done", "current", "upcoming"
WORKING, CALENDAR = "working", "calendar"


# -- the happy path ----------------------------------------------------------------------------------------

def destination(t: TransitionDef, facts: ProjectFacts) -> str | None:
    """Where `t` leads for these facts, as the engine decides it; None when its guards stop it."""
    def holds(names: tuple[str, ...]) -> bool:
        return all(GUARDS[g].test(facts) for g in names)

    def any_holds(names: tuple[str, ...]) -> bool:
        return any(GUARDS[g].test(facts) for g in names)

    if not holds(t.guards) or any_holds(t.unless):
        return None
    return next((d.state for d in t.destinations if holds(d.guards) and not any_holds(d.unless)), None)


def success_states(definition: WorkflowDefinition) -> frozenset[str]:
    """The terminal states a project is meant to reach: those that open a follow-up (energized)."""
    return frozenset(s.name for s in definition.states.values() if s.terminal and s.follow_up)


def _configuration(state: str, facts: ProjectFacts) -> tuple[str, tuple[tuple[str, str], ...]]:
    return state, tuple(sorted((k, repr(v)) for k, v in facts.flags.items()))


def happy_path(definition: WorkflowDefinition, facts: ProjectFacts, start: str | None = None) -> tuple[str, ...]:
    """The states from `start` (the initial state by default) to the success terminal state, both included,
    on the shortest path the project's facts allow. Just `(start,)` from a terminal state, or when no
    success state can be reached from it."""
    start = start or definition.initial
    goals = success_states(definition)
    if definition.state(start).terminal or not goals:
        return (start,)
    first = _configuration(start, facts)
    parent: dict[Any, Any] = {first: None}
    queue = deque([(start, facts, first)])
    while queue:
        state, here, key = queue.popleft()
        for t in definition.transitions_from(state):
            target = destination(t, here)
            if target is None:
                continue
            after = replace(here, flags={**here.flags, **t.sets}) if t.sets else here
            reached = _configuration(target, after)
            if reached in parent:
                continue
            parent[reached] = key
            if target in goals:
                path = [target]
                while parent[reached] is not None:
                    reached = parent[reached]
                    path.append(reached[0])
                return tuple(reversed(path))
            if not definition.state(target).terminal:
                queue.append((target, after, reached))
    return (start,)


# -- the steps ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Visit:
    """One stored stage occurrence."""

    state: str
    visit: int
    entered_at: datetime
    left_at: datetime | None


@dataclass(frozen=True)
class Step:
    state: str
    visit: int  # 1 for the first visit of this state, 2 for the next (rework, or construction resumed)...
    status: str  # done | current | upcoming
    since: datetime | None = None  # current: entered at
    completed_at: datetime | None = None  # done: left at (a terminal state: reached at)


def steps(definition: WorkflowDefinition, facts: ProjectFacts, state: str, visits: Sequence[Visit],
          reached_at: datetime | None = None) -> tuple[Step, ...]:
    """Every visit so far, in history order (loops taken included), then the happy path from the current
    state. A terminal state reached is the last step, done at `reached_at`; other terminal states, and steps
    the facts skip, are not steps at all."""
    result = [Step(v.state, v.visit, DONE, completed_at=v.left_at) for v in visits if v.left_at is not None]
    if definition.state(state).terminal:
        return (*result, Step(state, 1, DONE, completed_at=reached_at))
    current = next((v for v in visits if v.left_at is None), None)
    result.append(Step(state, current.visit if current else 1, CURRENT,
                       since=current.entered_at if current else None))
    seen = Counter(v.state for v in visits)
    if current is None:
        seen[state] += 1
    for upcoming in happy_path(definition, facts, state)[1:]:
        seen[upcoming] += 1
        result.append(Step(upcoming, seen[upcoming], UPCOMING))
    return tuple(result)


# -- the forecast ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Median:
    """How long a step took on other projects: the median of `samples` completed visits, in calendar days."""

    days: float
    samples: int


@dataclass(frozen=True)
class CurrentStage:
    state: str
    since: datetime
    clock: str | None = None  # the stage clock counting it, if any
    deadline_at: datetime | None = None
    on_track: bool | None = None


@dataclass(frozen=True)
class Estimate:
    """One remaining step's share of the forecast, and why."""

    state: str
    #: deadline | overdue | time_limit | within_time_limit | no_time_limit | customer_median | no_history
    kind: str
    ends_at: datetime | None  # None once an earlier step cannot be dated
    explanation: Label
    days: float | None = None
    day_kind: str | None = None  # working | calendar
    clock: str | None = None
    samples: int | None = None
    ends_on: date | None = None  # the local day `ends_at` falls on (24:00 counts as that day)


@dataclass(frozen=True)
class Forecast:
    energized_at: datetime | None
    energized_on: date | None
    depends_on_customer: bool
    basis: tuple[Estimate, ...]


def is_stage_clock(clock: rules.ClockDef) -> bool:
    """Clocks over stages, not the whole-process limit that starts with the project."""
    return not clock.spans_project


def end_day(cal: WorkingCalendar, at: datetime) -> date:
    """The local date something ending at `at` ends on: a deadline at 24:00 ends on that day, not the next."""
    local = cal.local(at)
    return (local - timedelta(microseconds=1)).date() if local.time() == time() else local.date()


def _after_working_days(cal: WorkingCalendar, handed_over: datetime, days: int) -> datetime:
    # A step handed over at 24:00 starts that day, so counting (from the day after the start) begins next day.
    start = handed_over - timedelta(microseconds=1) if cal.local(handed_over).time() == time() else handed_over
    return cal.deadline(start, days)


def _days(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _clock_label(definition: WorkflowDefinition, name: str) -> Label:
    clock = definition.clock(name)
    return Label(**clock.label) if clock else Label(name, name)  # type: ignore[arg-type]


def _current(definition: WorkflowDefinition, cal: WorkingCalendar, current: CurrentStage,
             medians: Mapping[str, Median], now: datetime) -> Estimate:
    side = definition.state(current.state).side
    if side == "customer":
        return _customer_step(current.state, medians.get(current.state), now,
                              since=(current.since, cal.local(current.since).date()), now=now)
    if current.clock is not None and current.deadline_at is not None:
        clock = _clock_label(definition, current.clock)
        day = end_day(cal, current.deadline_at).isoformat()
        if current.on_track:
            return Estimate(current.state, "deadline", current.deadline_at, clock=current.clock, explanation=Label(
                zh=f"{clock.zh}内完成，最迟{day}", en=f"Due by {day}, within the {clock.en} time limit"))
        return Estimate(current.state, "overdue", now, clock=current.clock, explanation=Label(
            zh=f"已超过{clock.zh}（{day}），按即将完成估算",
            en=f"Past the {clock.en} time limit ({day}); expected to finish now"))
    return Estimate(current.state, "no_time_limit", now, explanation=Label(
        zh="本环节无时限要求，按即将完成估算", en="No time limit for this step; expected to finish now"))


def _customer_step(state: str, median: Median | None, start: datetime | None, *,
                   since: tuple[datetime, date] | None = None, now: datetime | None = None) -> Estimate:
    if median is None:
        return Estimate(state, "no_history", None, day_kind=CALENDAR, explanation=Label(
            zh="客户环节，取决于您的进度（暂无历史数据）",
            en="Your own step: depends on you (no history to go by yet)"))
    days, n = _days(median.days), median.samples
    if since is not None and now is not None:
        entered_at, entered_on = since
        ends = max(now, entered_at + timedelta(days=median.days))
        return Estimate(state, "customer_median", ends, days=median.days, day_kind=CALENDAR,
                        samples=n, explanation=Label(
                            zh=f"客户环节，通常需{days}天（{n}个已完成环节的中位数），自{entered_on}起计",
                            en=f"Your own step: typically {days} calendar days (median of {n} completed), "
                               f"counted from {entered_on}"))
    ends = start + timedelta(days=median.days) if start is not None else None
    return Estimate(state, "customer_median", ends, days=median.days, day_kind=CALENDAR, samples=n,
                    explanation=Label(zh=f"客户环节，通常需{days}天（{n}个已完成环节的中位数）",
                                      en=f"Your own step: typically {days} calendar days (median of {n} completed)"))


def forecast(definition: WorkflowDefinition, supply: str, cal: WorkingCalendar, path: Sequence[str],
             current: CurrentStage, running: Collection[str], medians: Mapping[str, Median],
             now: datetime) -> Forecast:
    """Chain the remaining steps of `path` (the happy path from the current state, which it starts with)
    from `now`. `running` names the stage clocks running now; `medians` the customer steps' history."""
    stage_clocks = tuple(c for c in definition.clocks if is_stage_clock(c))
    estimates = [_current(definition, cal, current, medians, now)]
    at = estimates[0].ends_at
    open_clocks = set(running)
    for previous, state in pairwise(path):
        spec = definition.state(state)
        moves = rules.moves(stage_clocks, from_state=previous, to_state=state, terminal=spec.terminal)
        open_clocks -= set(moves.stop)
        if spec.terminal:
            break
        if spec.side == "customer":
            estimate = _customer_step(state, medians.get(state), at)
        elif moves.start:
            clock = max(moves.start, key=lambda c: c.limit_for(supply))
            limit, label = clock.limit_for(supply), Label(**clock.label)  # type: ignore[arg-type]
            ends = _after_working_days(cal, at, limit) if at is not None else None
            estimate = Estimate(state, "time_limit", ends, days=limit, day_kind=WORKING, clock=clock.name,
                                explanation=Label(zh=f"{label.zh}：{limit}个工作日",
                                                  en=f"{label.en} time limit: {limit} working days"))
        elif open_clocks:
            name = sorted(open_clocks)[0]
            label = _clock_label(definition, name)
            estimate = Estimate(state, "within_time_limit", at, clock=name, explanation=Label(
                zh=f"计入{label.zh}，不另计时间", en=f"Counted within the {label.en} time limit"))
        else:
            estimate = Estimate(state, "no_time_limit", at, explanation=Label(
                zh="无时限要求，不另计时间", en="No time limit; not counted"))
        open_clocks |= {c.name for c in moves.start}
        estimates.append(estimate)
        at = estimate.ends_at
    reaches_goal = bool(path) and path[-1] in success_states(definition)
    unknown = any(e.kind == "no_history" for e in estimates)
    energized_at = at if reaches_goal and not unknown else None
    dated = tuple(replace(e, ends_on=end_day(cal, e.ends_at) if e.ends_at else None) for e in estimates)
    return Forecast(energized_at, end_day(cal, energized_at) if energized_at else None, unknown, dated)


def reached(definition: WorkflowDefinition, cal: WorkingCalendar, state: str, at: datetime | None) -> Forecast:
    """A project in a terminal state: energized on the day it got there, or never."""
    if state in success_states(definition) and at is not None:
        return Forecast(at, end_day(cal, at), False, ())
    return Forecast(None, None, False, ())
