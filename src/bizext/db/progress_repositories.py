"""Queries for customer progress: how long a step took on other projects, computed by the database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, extract, func, select

from bizext.db.models import Project, StageOccurrence, TransitionRecord
from bizext.db.repositories import _Repository

DAY_SECONDS = 86_400


class StageHistoryRepository(_Repository):
    def _days(self) -> Any:
        """A stage occurrence's duration in calendar days (fractional), in the dialect's own arithmetic."""
        if self.session.get_bind().dialect.name == "postgresql":
            return extract("epoch", StageOccurrence.left_at - StageOccurrence.entered_at) / DAY_SECONDS
        return func.julianday(StageOccurrence.left_at) - func.julianday(StageOccurrence.entered_at)

    def median_days(self, workflow_key: str, states: Sequence[str], *, exclude_project: uuid.UUID,
                    unsuccessful: Sequence[str]) -> dict[str, tuple[float, int]]:
        """Per state: the median duration, in calendar days, of completed visits to it on other projects of
        the workflow, and how many visits that is. A visit counts when the project moved on from it: one
        that ended by withdrawal or rejection (`unsuccessful`) says nothing about how long the step takes.

        The median is the middle row (or the mean of the two middle rows) of each state's visits ranked by
        duration: window functions both databases have, so no visit is loaded into Python."""
        if not states:
            return {}
        days = self._days()
        ranked = (
            select(StageOccurrence.state.label("state"), days.label("days"),
                   func.row_number().over(partition_by=StageOccurrence.state, order_by=days).label("rank"),
                   func.count().over(partition_by=StageOccurrence.state).label("n"))
            .join(Project, Project.id == StageOccurrence.project_id)
            # The transition numbered like a stage is the one that left it (services/transitions.fire).
            .join(TransitionRecord, and_(TransitionRecord.project_id == StageOccurrence.project_id,
                                         TransitionRecord.seq == StageOccurrence.seq))
            .where(Project.workflow_key == workflow_key, Project.id != exclude_project,
                   StageOccurrence.state.in_(list(states)), StageOccurrence.left_at.is_not(None),
                   TransitionRecord.from_state == StageOccurrence.state,
                   TransitionRecord.to_state.not_in(list(unsuccessful) or [""]))
            .subquery())
        # The middle rank(s): 2·rank ∈ {n, n+1, n+2} is one row for odd n, two for even n.
        middle = select(ranked.c.state, func.avg(ranked.c.days), func.max(ranked.c.n)).where(
            2 * ranked.c.rank >= ranked.c.n, 2 * ranked.c.rank <= ranked.c.n + 2).group_by(ranked.c.state)
        # Rounded to about ten seconds: julianday() arithmetic is floating point.
        return {state: (round(float(median), 4), int(n)) for state, median, n in self.session.execute(middle)}
