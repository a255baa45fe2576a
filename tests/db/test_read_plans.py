"""No read path scans a big table (issue 6): the SQL that `GET /v1/projects/{id}`, an owner's work list
(`GET /v1/projects?owner_id=`) and a recipient's open escalations (`GET /v1/escalations?status=open&recipient_id=`)
really send — captured from the cursor while the API answers — is explained by the database itself.

The database holds a utility's worth of rows (bench/dataset.py, the benchmark's own generator, at 10,000
projects: every state of both workflows, stage history, clock runs, escalations and their recipients,
events), with fresh statistics (ANALYZE), so the planner chooses as it would in production rather than
because tables are tiny. On PostgreSQL each statement is explained twice: with its parameters (the custom
plan of the first executions) and as a prepared statement forced to its generic plan (what a connection
may settle on once psycopg has prepared a statement it runs often). On SQLite, EXPLAIN QUERY PLAN.
The benchmark runs the same check at a million projects (bench/plans.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bench import bulk, dataset, plans
from bizext.db.models import Base
from bizext.db.session import Database

PROJECTS = 10_000
READ_PATHS = ("project", "worklist", "escalations")
REQUESTS = 4  # different ids per path


@pytest.fixture
def loaded(db: Database, clock: Any) -> Iterator[tuple[dataset.Shape, dataset.Sample]]:
    shape = dataset.Shape(projects=PROJECTS, now=clock.now, due=30, secret="plans")
    sample = bulk.insert(db.engine, shape)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    yield shape, sample
    if db.dialect == "postgresql":
        # Emptied at once: the next test's row-by-row DELETE would check every foreign key of 100,000 rows,
        # some through columns no index covers (e.g. clock_runs.stage_occurrence_id), over dead tuples.
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables}")


def test_no_read_path_scans_a_big_table(db, client, loaded):
    shape, sample = loaded
    found = []
    for path in READ_PATHS:
        per_request = plans.captured(db, client, dataset.read_targets(sample, shape.secret, path, REQUESTS))
        statements = [s for request in per_request for s in request]
        tables = {t for s, _ in statements for t in plans.BIG_TABLES if re.search(rf"\b{t}\b", s)}
        assert {"projects" if path != "escalations" else "escalations", "api_tokens"} <= tables, statements
        found += [(path, *problem) for problem in plans.problems(db, statements)]
    assert not found, "\n\n".join(f"{path}, {kind} plan: {scans}\n{statement}"
                                  for path, kind, scans, statement in found)


def test_the_check_sees_a_scan_of_a_big_table(db):
    """The check itself: a lookup by a column of projects that no index covers is reported, in every plan."""
    statement, parameters = (("SELECT id FROM projects WHERE title = %(title)s", {"title": "nothing"})
                             if db.dialect == "postgresql" else ("SELECT id FROM projects WHERE title = ?", ("x",)))
    found = plans.problems(db, [(statement, parameters)])
    assert [kind for kind, _, _ in found] == (["custom", "generic"] if db.dialect == "postgresql" else ["sqlite"])
