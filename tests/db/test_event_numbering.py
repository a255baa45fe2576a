"""Events are numbered from the counter in the order given, with no gaps, on both databases — also on the
counter's first use, and on both of PostgreSQL's paths: a move's few events in one statement with the counter's
bump, a bulk operation's many in the bump and a bulk insert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bizext.db.event_repositories import _ONE_STATEMENT_ROWS, EVENTS_COUNTER
from bizext.db.models import Counter
from bizext.db.session import Database

AT = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _rows(n: int, batch: str) -> list[dict[str, Any]]:
    return [{"type": "test.numbered", "occurred_at": AT, "recorded_at": AT, "actor": {"kind": "system"},
             "data": {"batch": batch, "position": i, "text": "含: 'quotes' and :colons"}} for i in range(n)]


def test_rows_are_numbered_in_order_without_gaps_from_the_counters_first_use_on_both_paths(db: Database) -> None:
    sizes = {"first use": 1, "a move's": 5, "a bulk operation's": 2 * _ONE_STATEMENT_ROWS + 3,
             "the most in one statement": _ONE_STATEMENT_ROWS, "then one more": 1}
    with db.uow(write=True) as uow:
        assert uow.session.get(Counter, EVENTS_COUNTER) is None
        uow.events.append(_rows(sizes["first use"], "first use"))
        uow.commit()
    for batch in ("a move's", "a bulk operation's", "the most in one statement", "then one more"):
        with db.uow(write=True) as uow:
            uow.events.append(_rows(sizes[batch], batch))
            uow.commit()

    with db.uow() as uow:
        events = uow.events.after(0, limit=1000)
        last = uow.events.last_sequence()
    expected = [(batch, i) for batch, n in sizes.items() for i in range(n)]
    assert [(e.data["batch"], e.data["position"]) for e in events] == expected
    assert [e.sequence for e in events] == list(range(1, len(expected) + 1))
    assert last == len(expected)
    assert all(e.data["text"] == "含: 'quotes' and :colons" and e.occurred_at == AT and e.project_id is None
               for e in events)


def test_a_rolled_back_append_leaves_neither_rows_nor_a_used_number(db: Database) -> None:
    with db.uow(write=True) as uow:
        uow.events.append(_rows(3, "kept"))
        uow.commit()
    with db.uow(write=True) as uow:
        uow.events.append(_rows(_ONE_STATEMENT_ROWS + 1, "rolled back"))
        uow.flush()
    with db.uow(write=True) as uow:
        uow.events.append(_rows(1, "after"))
        uow.commit()
    with db.uow() as uow:
        events = uow.events.after(0, limit=100)
    assert [(e.sequence, e.data["batch"]) for e in events] == [(1, "kept"), (2, "kept"), (3, "kept"), (4, "after")]


def test_a_bulk_append_on_a_counter_never_used_numbers_from_one(db: Database) -> None:
    with db.uow(write=True) as uow:
        uow.events.append(_rows(_ONE_STATEMENT_ROWS + 2, "bulk first"))
        uow.commit()
    with db.uow() as uow:
        assert [e.sequence for e in uow.events.after(0, limit=100)] == list(range(1, _ONE_STATEMENT_ROWS + 3))
