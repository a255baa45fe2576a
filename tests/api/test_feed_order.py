"""A reader following `after=` never misses an event, even while many writers commit at once.

Eight writers create projects and fire transitions (every write records several events) while a reader polls
`GET /v1/events?after=<last>` throughout and then drains the feed. Whatever the reader collected must be
exactly 1..N, in order, each once, and N must be every event in the database: a sequence that became visible
before a smaller one (a commit out of order) would have been skipped for good by a reader already past it.

The first test runs the use cases in-process from threads with a pause injected between numbering a
transaction's events and committing it: exactly the window in which a naive numbering (a database sequence,
say) lets a later number commit first. It runs before the module's servers start, so nothing else writes.
The second is real HTTP against real server processes (two `bizext serve --workers 2`, as in
test_concurrency.py) on the suite's database, SQLite or PostgreSQL.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from bizext.db.event_repositories import EventRepository
from bizext.db.models import Event
from bizext.db.session import Database
from bizext.services import projects, transitions
from bizext.services.principals import authenticate
from tests.conftest import ADMIN_TOKEN
from tests.servers import REQUEST_SECONDS, Process, live_world, servers  # noqa: F401 - fixtures

WRITERS = 8
OPERATIONS = 15  # per writer: a new project every fifth operation, transitions on it in between
NEW_PROJECT_EVERY = 5
PAGE = 50
POLL_PAUSE = 0.005
DEADLINE_SECONDS = 180
#: Back and forth between two states forever, each move recording several events (transition, owner, clocks).
CYCLE = {"application_review": ("request_documents", {"missing_documents": ["load list"]}),
         "awaiting_documents": ("submit_documents", {"documents": ["load list, signed"]})}
PROJECT = {"title": "Feed order", "site_address": "88 Zhangjiang Road", "voltage_kv": 10, "capacity_kva": 800,
           "supply": "single", "important": False, "region": "pudong"}


# -- the reader ----------------------------------------------------------------------------------------------

@dataclass
class Reading:
    """What a reader following `after=` collected, and how often it saw the feed move while writers ran."""

    sequences: list[int] = field(default_factory=list)
    types: Counter[str] = field(default_factory=Counter)
    polls: int = 0
    pages_while_writing: int = 0
    problems: list[str] = field(default_factory=list)

    def take(self, after: int, items: list[dict[str, Any]], next_after: int | None) -> int:
        sequences = [e["sequence"] for e in items]
        if sequences and sequences[0] <= after:
            self.problems.append(f"after={after} answered with {sequences[0]}")
        if any(b <= a for a, b in zip(sequences, sequences[1:])):
            self.problems.append(f"a page out of order: {sequences}")
        expected_next = sequences[-1] if sequences else after
        if next_after is not None and next_after != expected_next:
            self.problems.append(f"next_after {next_after} after a page ending at {expected_next}")
        self.sequences += sequences
        self.types.update(e["type"] for e in items)
        return expected_next


def follow(poll: Callable[[int, int], tuple[list[dict[str, Any]], int | None]], writing: Callable[[], bool],
           reading: Reading, deadline: float) -> None:
    """Poll `after=<last>` until the writers are done and a poll that began after that comes back empty."""
    after = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the reader was still reading at the deadline (after={after})")
        finished = not writing()  # read before the poll: an empty answer then means everything was seen
        items, next_after = poll(reading.polls, after)
        reading.polls += 1
        after = reading.take(after, items, next_after)
        if items and not finished:
            reading.pages_while_writing += 1
        if finished and not items:
            return
        if len(items) < PAGE:
            time.sleep(POLL_PAUSE)


def assert_gap_free(reading: Reading, stored: list[int]) -> None:
    assert not reading.problems, reading.problems[:10]
    seen = reading.sequences
    duplicates = sorted(s for s, n in Counter(seen).items() if n > 1)
    assert not duplicates, f"duplicates: {duplicates[:20]}"
    missing = sorted(set(range(1, len(stored) + 1)) - set(seen))
    assert not missing, f"the reader never saw {missing[:20]} (of {len(stored)})"
    assert seen == list(range(1, len(seen) + 1)), "the reader's sequences are not exactly 1..N in order"
    assert stored == seen, "the database holds other events than the reader saw"


def stored_sequences(database: Database) -> list[int]:
    with database.engine.connect() as conn:
        count, highest = conn.execute(select(func.count(), func.max(Event.sequence))).one()
        sequences = list(conn.scalars(select(Event.sequence).order_by(Event.sequence)))
    assert count == len(sequences) and (highest or 0) == len(sequences), (count, highest)
    return sequences


# -- in-process, with commits held back after numbering -------------------------------------------------------

def test_commits_held_back_after_numbering_never_let_the_reader_skip_an_event(world, db, clock, monkeypatch):
    """Every writer pauses after its events are numbered and before it commits (and a little before numbering,
    to shuffle who gets there first); the reader polls the repository throughout from its own connection."""
    append = EventRepository.append
    held_back = Counter[str]()

    def slow_append(self: EventRepository, rows: Any) -> None:
        time.sleep(random.uniform(0, 0.003))
        append(self, rows)
        held_back["transactions"] += 1
        time.sleep(random.uniform(0.002, 0.015))  # numbered, not yet committed

    monkeypatch.setattr(EventRepository, "append", slow_append)

    tokens = {("staff", p.id): p.token for p in world.staff.values()}
    tokens |= {("customer", c.id): c.token for c in world.customers}
    writers_left = WRITERS
    lock = threading.Lock()
    barrier = threading.Barrier(WRITERS + 1, timeout=REQUEST_SECONDS)
    deadline = time.monotonic() + DEADLINE_SECONDS
    errors: list[BaseException] = []
    reading = Reading()

    def write(i: int) -> None:
        nonlocal writers_left
        try:
            barrier.wait()
            project_id: uuid.UUID | None = None
            state, owner = "", ("", "")
            for op in range(OPERATIONS):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"writer {i} still writing at the deadline")
                now = clock.now + timedelta(minutes=op)  # transitions move forward in time
                with db.uow(write=True) as uow:
                    if op % NEW_PROJECT_EVERY == 0:
                        actor = authenticate(uow, ADMIN_TOKEN, ADMIN_TOKEN, now=now)
                        data = projects.NewProject(**PROJECT, customer_id=uuid.UUID(world.customers[i % 2].id),
                                                   received_at=now)
                        details = projects.create(uow, actor, data, now)
                    else:
                        actor = authenticate(uow, tokens[owner], ADMIN_TOKEN, now=now)
                        name, input = CYCLE[state]
                        details = transitions.fire(uow, actor, project_id,  # type: ignore[arg-type]
                                                   transitions.FireRequest(name=name, input=input),
                                                   if_match=None, now=now).project
                    project_id, state = details.project.id, details.project.state
                    owner = (details.owner.kind, details.owner.id)  # type: ignore[union-attr]
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            barrier.abort()
            errors.append(exc)
        finally:
            with lock:
                writers_left -= 1

    def read() -> None:
        def poll(_n: int, after: int) -> tuple[list[dict[str, Any]], int | None]:
            with db.uow() as uow:
                rows = uow.events.after(after, limit=PAGE)
                return [{"sequence": e.sequence, "type": e.type} for e in rows], None

        try:
            barrier.wait()
            follow(poll, lambda: writers_left > 0, reading, deadline)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            barrier.abort()
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,), daemon=True) for i in range(WRITERS)]
    threads.append(threading.Thread(target=read, daemon=True))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + 5 - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "threads still running after the deadline"
    assert not errors, errors
    elapsed = time.monotonic() - started

    assert held_back["transactions"] == WRITERS * OPERATIONS
    assert_gap_free(reading, stored_sequences(db))
    projects_created = WRITERS * len(range(0, OPERATIONS, NEW_PROJECT_EVERY))
    assert reading.types["project.created"] == projects_created
    assert reading.types["transition.fired"] == WRITERS * OPERATIONS - projects_created
    assert reading.pages_while_writing >= 2, reading
    print(f"\nfeed in-process: {len(reading.sequences)} events from {WRITERS * OPERATIONS} writes in {elapsed:.1f}s, "
          f"{reading.polls} polls, {reading.pages_while_writing} pages while writing")


# -- real servers ------------------------------------------------------------------------------------------

def _created(response: httpx.Response) -> Any:
    assert response.status_code == 201, (response.status_code, response.text)
    return response.json()


def test_eight_writers_on_real_servers_and_a_reader_polling_throughout_see_every_event_once_in_order(
        servers, live_world, database):
    world = live_world
    admin = world.admin
    writers_left = WRITERS
    lock = threading.Lock()
    barrier = threading.Barrier(WRITERS + 1, timeout=REQUEST_SECONDS)
    deadline = time.monotonic() + DEADLINE_SECONDS
    errors: list[BaseException] = []
    reading = Reading()

    def write(i: int) -> None:
        nonlocal writers_left
        try:
            with httpx.Client(base_url=servers[i % len(servers)].base_url, timeout=REQUEST_SECONDS) as client:
                client.get("/healthz").raise_for_status()
                barrier.wait()
                project: dict[str, Any] = {}
                for op in range(OPERATIONS):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"writer {i} still writing at the deadline")
                    # Half the writers send an Idempotency-Key: their answer is stored between numbering
                    # the events and committing, the longer of the two commit paths.
                    key = {"Idempotency-Key": f"feed-{i}-{op}"} if i % 2 == 0 else {}
                    if op % NEW_PROJECT_EVERY == 0:
                        body = {**PROJECT, "customer_id": world.customers[i % 2].id}
                        project = _created(client.post("/v1/projects", json=body, headers={**admin.headers, **key}))
                    else:
                        name, input = CYCLE[project["state"]]
                        owner = world.owner_of(project)
                        fired = _created(client.post(f"/v1/projects/{project['id']}/transitions",
                                                     json={"name": name, "input": input},
                                                     headers={**owner.headers, **key}))
                        project = fired["project"]
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            barrier.abort()
            errors.append(exc)
        finally:
            with lock:
                writers_left -= 1

    def read() -> None:
        clients = [httpx.Client(base_url=s.base_url, timeout=REQUEST_SECONDS) for s in servers]
        try:
            def poll(n: int, after: int) -> tuple[list[dict[str, Any]], int | None]:
                page = clients[n % len(clients)].get("/v1/events", params={"after": after, "limit": PAGE},
                                                     headers=admin.headers)
                assert page.status_code == 200, (page.status_code, page.text)
                body = page.json()
                return body["items"], body["next_after"]

            barrier.wait()
            follow(poll, lambda: writers_left > 0, reading, deadline)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            barrier.abort()
            errors.append(exc)
        finally:
            for client in clients:
                client.close()

    threads = [threading.Thread(target=write, args=(i,), daemon=True) for i in range(WRITERS)]
    threads.append(threading.Thread(target=read, daemon=True))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + 5 - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "threads still running after the deadline"
    assert not errors, errors
    elapsed = time.monotonic() - started

    assert_gap_free(reading, stored_sequences(database))
    projects_created = WRITERS * len(range(0, OPERATIONS, NEW_PROJECT_EVERY))
    assert reading.types["project.created"] == projects_created
    assert reading.types["transition.fired"] == WRITERS * OPERATIONS - projects_created
    # The reader really read while the writers wrote, not only afterwards.
    assert reading.pages_while_writing >= 2, reading
    print(f"\nfeed over HTTP: {len(reading.sequences)} events from {WRITERS * OPERATIONS} writes in {elapsed:.1f}s, "
          f"{reading.polls} polls, {reading.pages_while_writing} pages while writing")
