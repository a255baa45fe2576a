"""A clock stopped while a sweep escalates it: the escalation is resolved by the move, not left open.

The sweep reads only due clock runs (DESIGN §6), so nothing looks for an open escalation of a stopped run
afterwards: the move that stops a run must see every level raised before it. The race, made deterministic: a
sweep raises the overdue acceptance clock's levels and is held just before its commit, its runs still locked;
then the customer manager accepts the application, which stops that clock. On PostgreSQL the move waits on
the run's row lock (checked in pg_stat_activity) and then reads the run the sweep committed; on SQLite it waits
for the write lock before reading anything. Either way the move must resolve what the sweep raised.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from bizext.db.session import Database
from bizext.services.escalations import sweep
from tests.conftest import is_postgres

TIME_LIMIT = 60.0


def _waiting_on_clock_runs(database: Database) -> bool:
    """Whether some backend waits for a lock while reading clock runs to change them."""
    with database.engine.connect() as conn:
        return bool(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%FROM clock_runs%FOR NO KEY UPDATE%'")))


def test_a_move_that_stops_a_clock_while_a_sweep_escalates_it_resolves_what_the_sweep_raised(
        world, db, database_url, clock, client):  # type: ignore[no-untyped-def]
    project = world.new_project(received_at=(clock.now - timedelta(days=10)).isoformat())
    sweeper = Database(database_url, pool_size=2)
    at_commit, proceed = threading.Event(), threading.Event()

    def hold_the_commit(conn: Any) -> None:
        if not at_commit.is_set():
            at_commit.set()
            proceed.wait(TIME_LIMIT)

    event.listen(sweeper.engine, "commit", hold_the_commit)
    outcome: dict[str, Any] = {}
    sweeping = threading.Thread(target=lambda: outcome.update(sweep=sweep(sweeper, clock.now)), daemon=True)
    moving = threading.Thread(target=lambda: outcome.update(move=client.post(
        f"/v1/projects/{project['id']}/transitions", json={"name": "accept", "input": {}},
        headers=world.person("customer_manager").headers)), daemon=True)
    try:
        sweeping.start()
        assert at_commit.wait(TIME_LIMIT), "the sweep never reached its commit"
        moving.start()
        until = time.monotonic() + TIME_LIMIT
        if is_postgres(database_url):
            while not _waiting_on_clock_runs(sweeper):
                assert moving.is_alive(), f"the move finished without waiting for the run's lock: {outcome}"
                assert time.monotonic() < until, "the move never waited for the sweep's lock on the run"
                time.sleep(0.02)
        else:
            time.sleep(0.5)
            assert moving.is_alive(), "the move did not wait for the sweep's write transaction"
    finally:
        proceed.set()
        sweeping.join(TIME_LIMIT)
        moving.join(TIME_LIMIT)
        event.remove(sweeper.engine, "commit", hold_the_commit)
        sweeper.dispose()

    assert len(outcome["sweep"].raised) >= 1
    assert outcome["move"].status_code == 201, outcome["move"].text
    escalations = world.ok(client.get(f"/v1/projects/{project['id']}/escalations", headers=world.admin.headers))
    acceptance = [e for e in escalations if e["clock"] == "acceptance"]
    assert {e["id"] for e in acceptance} == {str(i) for i in outcome["sweep"].raised}
    assert all(e["status"] == "resolved" and e["resolution"] == "completed_late" for e in acceptance), acceptance
