"""One database per test run, built by the migrations; every test starts from empty tables.

Set BIZEXT_TEST_DATABASE_URL to a PostgreSQL server URL (postgresql+psycopg://user@host/postgres) to run
the suite there: a fresh database is created for the run and dropped afterwards. The default is a SQLite
file in a temporary folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bizext.api.app import create_app
from bizext.config import Settings
from bizext.db import migrations
from bizext.db.models import Base
from bizext.db.session import Database
from tests.instants import TUE_01_DEC_2026_NOON_UTC
from tests.world import World

ADMIN_TOKEN = "test-admin-token-" + uuid.uuid4().hex


class FakeClock:
    """The tests' wall clock: set or advance it explicitly."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _server_url() -> str | None:
    return os.environ.get("BIZEXT_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = _server_url()
    if server is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'bizext-test.db'}"
        return
    name = f"bizext_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url, pool_size=5)
    migrations.upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    """The run's database with every table emptied: each test starts from nothing."""
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(TUE_01_DEC_2026_NOON_UTC)


@pytest.fixture
def clock_at(clock: FakeClock):
    """Set the test clock: clock_at(instant)."""

    def set_(instant: datetime) -> FakeClock:
        clock.now = instant
        return clock

    return set_


@pytest.fixture
def app(db: Database, clock: FakeClock):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=db.url, admin_token=ADMIN_TOKEN, webhook_allow_private=True)
    return create_app(settings, database=db, now=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def world(client: TestClient) -> World:
    """Staff for every role in two regions, two customers, and a token for each of them."""
    return World.build(client, ADMIN_TOKEN)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"
