"""Each test module here gets the run's PostgreSQL database emptied, and a fleet of processes on it whose clocks
read one shared, movable clock (shifted_clock.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bizext.db.models import Base
from bizext.db.session import Database
from tests.ops.shifted_clock import SharedClock
from tests.servers import Fleet

#: Idempotency keys outlive the clock's jumps (they expire by the fleet's clock), so that a retry after a jump
#: still finds its first answer.
IDEMPOTENCY_TTL = str(90 * 86_400)


@pytest.fixture(scope="module")
def emptied_database_url(database: Database, database_url: str) -> str:
    """The run's database (created for the run and migrated, see tests/conftest.py), with every table emptied:
    the module's fleet starts from nothing."""
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return database_url


@pytest.fixture(scope="module")
def ops_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the module's processes write their logs (kept by pytest for the last few runs)."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def shared_clock(ops_dir: Path) -> SharedClock:
    return SharedClock(ops_dir / "clock-offset")


@pytest.fixture(scope="module")
def fleet(emptied_database_url: str, shared_clock: SharedClock, ops_dir: Path) -> Iterator[Fleet]:
    """No process started yet: the module starts what it needs."""
    fleet = Fleet(emptied_database_url, ops_dir, launcher=shared_clock.launcher,
                  env={**shared_clock.env, "BIZEXT_IDEMPOTENCY_TTL": IDEMPOTENCY_TTL, "BIZEXT_SWEEP_INTERVAL": "0.5",
                       "BIZEXT_DELIVERY_INTERVAL": "0.5"})
    try:
        yield fleet
    finally:
        fleet.stop_all()
