"""The transition path stays short (issue 6): firing a transition sends a bounded number of statements, counted
over a whole hv-standard lifecycle with every rework loop, each step fired by its stage's owner.

Each statement costs about half a millisecond of server CPU in SQLAlchemy and the driver, so a statement that
creeps back in (an owner's name read again after the commit, eligibility read row by row) shows here first.
Today a move is: authenticate, the project with its names, calendar overrides, the next owner's standing or
the least loaded colleague, the stages; then the writes (project, stage closed, transition, stage opened,
assignment, clock runs read, holds read, clocks stopped/started, event sequence, event)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from tests.api.test_lifecycle import HV_REWORK_PATH

#: Seen: 14-16 per move (the most when a move starts a clock and stops another and the next owner is named).
MOST_STATEMENTS_PER_MOVE = 16


def test_a_transition_sends_a_bounded_number_of_statements(db, world, clock):  # type: ignore[no-untyped-def]
    project = world.new_project(supply="dual", important=True, capacity_kva=8000,
                                received_at=(clock.now - timedelta(days=30)).isoformat())
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            seen.append(" ".join(statement.split())[:160])

    per_move: dict[str, int] = {}
    at = clock.now - timedelta(days=29)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for name, payload, expected in HV_REWORK_PATH:
            owner = world.owner_of(project)
            seen.clear()
            project = world.fire(project["id"], name, owner, payload, occurred_at=at.isoformat())["project"]
            per_move[f"{name} -> {expected}"] = len(seen)
            assert project["state"] == expected
            # The answer names the next owner without reading the name again: it came with the choice.
            read_again = world.ok(world.client.get(f"/v1/projects/{project['id']}", headers=world.admin.headers))
            assert project["owner"] == read_again["owner"]
            if project["owner"] is not None and project["owner"]["kind"] != "unassigned":
                assert project["owner"]["name"] in {p.name for p in [*world.staff.values(), *world.customers]}
            at += timedelta(hours=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert max(per_move.values()) <= MOST_STATEMENTS_PER_MOVE, per_move
