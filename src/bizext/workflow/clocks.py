"""Clocks (时限): which clocks a move starts and stops, and where a run of a clock stands at an instant.

A clock counts working time (calendars.py) from the day after it starts, minus the working time it spent
paused. Its deadline is the instant counted time reaches its limit; escalation levels fall due relative to
that limit (escalations.py decides what they are).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bizext.workflow.calendars import DAY, WorkingCalendar

#: A clock's trigger: entering or leaving one of `states` (optionally only when coming from `from_states`),
#: project creation, or reaching any terminal state.
CREATED = "created"
TERMINAL = "terminal"


@dataclass(frozen=True)
class Trigger:
    enter: tuple[str, ...] = ()
    leave: tuple[str, ...] = ()
    from_states: tuple[str, ...] = ()  # with `enter`: only when coming from one of these
    created: bool = False

    def fires(self, *, from_state: str | None, to_state: str) -> bool:
        if from_state is None:  # project creation: entering the initial state
            return self.created or to_state in self.enter
        if to_state in self.enter and (not self.from_states or from_state in self.from_states):
            return True
        return from_state in self.leave and to_state != from_state


@dataclass(frozen=True)
class EscalationLevel:
    level: int
    kind: str  # "warning" | "breach"
    recipients: str  # "stage_owner" | "project_manager" | "supervisors"
    #: when it falls due, in working days relative to the deadline (negative: before it)
    offset_days: float


@dataclass(frozen=True)
class ClockDef:
    name: str
    label: Mapping[str, str]
    starts: Trigger
    stops: Trigger
    limits: Mapping[str, int]  # by supply ("single", "dual"); "any" when it does not depend on it
    warning_days: float
    #: None: DESIGN §6's default policy, which depends on the run's limit (see default_levels)
    custom_levels: tuple[EscalationLevel, ...] | None = None

    def limit_for(self, supply: str) -> int:
        return self.limits.get(supply, self.limits.get("any", 0))

    def levels_for(self, limit_days: int) -> tuple[EscalationLevel, ...]:
        return self.custom_levels or default_levels(limit_days, self.warning_days)

    @property
    def spans_project(self) -> bool:
        """The whole-process limit, started with the project (utility_total), rather than a clock over stages."""
        return self.starts.created

    @property
    def times_one_stage(self) -> bool:
        """Starts on entering some states and stops on leaving the same ones (acceptance, design_review…), not a
        span of stages (scheme_reply) or the whole project."""
        return (bool(self.starts.enter) and not self.starts.created and not self.starts.from_states
                and not self.stops.enter and set(self.starts.enter) == set(self.stops.leave))


def default_levels(limit_days: int, warning_days: float) -> tuple[EscalationLevel, ...]:
    """DESIGN §6: a warning to the owner when due soon, the project manager at the deadline, the region's
    supervisors max(1, ceil(N/2)) working days later."""
    later = max(1, -(-limit_days // 2))
    return (EscalationLevel(0, "warning", "stage_owner", -warning_days),
            EscalationLevel(1, "breach", "project_manager", 0),
            EscalationLevel(2, "breach", "supervisors", later))


@dataclass(frozen=True)
class ClockMoves:
    start: tuple[ClockDef, ...]
    stop: tuple[str, ...]


def moves(clocks: Sequence[ClockDef], *, from_state: str | None, to_state: str, terminal: bool) -> ClockMoves:
    """Which clocks this move stops (their running runs) and which it starts (a new run each: a rework
    loop that re-enters a stage starts a new run of its clock)."""
    stop = tuple(c.name for c in clocks
                 if from_state is not None and (terminal or c.stops.fires(from_state=from_state, to_state=to_state)))
    start = () if terminal else tuple(c for c in clocks if c.starts.fires(from_state=from_state, to_state=to_state))
    return ClockMoves(start=start, stop=stop)


@dataclass(frozen=True)
class Run:
    """What is stored of one run of a clock."""

    started_at: datetime
    limit_days: int
    warning_days: float
    paused_seconds: int = 0  # working time spent in finished pauses (after counting began)
    paused_since: datetime | None = None
    stopped_at: datetime | None = None


@dataclass(frozen=True)
class Standing:
    """Where a run stands at an instant."""

    status: str  # "running" | "paused" | "stopped"
    due: str  # "on_track" | "due_soon" | "overdue"
    deadline_at: datetime
    elapsed: int  # counted working seconds
    remaining: int  # limit minus elapsed; negative once overdue
    met: bool | None  # once stopped


def paused_working_time(cal: WorkingCalendar, run: Run, pause_start: datetime, pause_end: datetime,
                        counting_from: datetime | None = None) -> int:
    """Working time a pause covered; the start day never counts, so neither does a pause within it.
    `counting_from`: the run's counting start, when the caller has it already."""
    if counting_from is None:
        counting_from = cal.counting_start(run.started_at)
    return cal.working_seconds(max(pause_start, counting_from), pause_end)


def deadline(cal: WorkingCalendar, run: Run, now: datetime | None = None,
             counting_from: datetime | None = None) -> datetime:
    """The deadline; for a paused run, where it would be if the run resumed at `now`.
    `counting_from`: the run's counting start, when the caller has it already."""
    if counting_from is None:
        counting_from = cal.counting_start(run.started_at)
    paused = run.paused_seconds
    if run.paused_since is not None and now is not None:
        paused += paused_working_time(cal, run, run.paused_since, now, counting_from)
    return cal.deadline_from(counting_from, run.limit_days, paused)


def level_due_at(cal: WorkingCalendar, run: Run, level: EscalationLevel) -> datetime:
    days = max(0.0, run.limit_days + level.offset_days)
    return cal.add_working_seconds(cal.counting_start(run.started_at), days * DAY + run.paused_seconds)


def standing(cal: WorkingCalendar, run: Run, now: datetime) -> Standing:
    # The counting start is worked out once: every work list computes a standing per clock on its page.
    counting_from = cal.counting_start(run.started_at)
    end = min(x for x in (now, run.paused_since, run.stopped_at) if x is not None)
    elapsed = max(0, cal.working_seconds(counting_from, end) - run.paused_seconds)
    limit = run.limit_days * DAY
    remaining = limit - elapsed
    due_at = deadline(cal, run, now if run.stopped_at is None else None, counting_from)
    if run.stopped_at is not None:
        status, met = "stopped", run.stopped_at <= due_at
    else:
        status, met = ("paused" if run.paused_since else "running"), None
    if remaining < 0 or (remaining == 0 and (run.stopped_at or now) > due_at):
        due = "overdue"
    elif remaining <= run.warning_days * DAY:
        due = "due_soon"
    else:
        due = "on_track"
    return Standing(status, due, due_at, elapsed, remaining, met)


#: Clocks that are not stages of a workflow but promises of the service itself (DESIGN §6, last line):
#: a customer's question is answered within 1 working day; an energized project is followed up within 5.
QUESTION_ANSWER = ClockDef(
    name="question_answer", label={"zh": "客户咨询答复时限", "en": "Question answer"},
    starts=Trigger(), stops=Trigger(), limits={"any": 1}, warning_days=0.5,
    custom_levels=(EscalationLevel(0, "warning", "customer_manager", -0.5),
                   EscalationLevel(1, "breach", "project_manager", 0)))
FOLLOW_UP = ClockDef(
    name="follow_up", label={"zh": "回访时限", "en": "Follow-up"},
    starts=Trigger(), stops=Trigger(), limits={"any": 5}, warning_days=1,
    custom_levels=(EscalationLevel(0, "warning", "customer_manager", -1),
                   EscalationLevel(1, "breach", "project_manager", 0)))
SERVICE_CLOCKS = {c.name: c for c in (QUESTION_ANSWER, FOLLOW_UP)}
