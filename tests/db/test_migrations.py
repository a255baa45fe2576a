"""The migrations build exactly the schema the models describe, and every one of them can be undone.

Each test runs on a database of its own, of the same kind as the suite's: a new SQLite file, or (when
BIZEXT_TEST_DATABASE_URL names a PostgreSQL server) a newly created database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, inspect, text
from sqlalchemy.engine import make_url

from bizext.db import migrations
from bizext.db.models import Base
from bizext.db.session import make_engine


@pytest.fixture
def fresh_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database that nothing else uses."""
    server = os.environ.get("BIZEXT_TEST_DATABASE_URL") or None
    if server is None:
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}", pool_size=1)
        yield engine
        engine.dispose()
        return
    name = f"bizext_migr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False), pool_size=1)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _schema_differences(engine: Engine, metadata: MetaData = Base.metadata) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, metadata))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _revisions() -> list[str]:
    """Every revision, oldest first."""
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def test_upgrade_from_empty_to_head_builds_exactly_the_schema_of_the_models(fresh_engine):
    assert _tables(fresh_engine) == set()
    migrations.upgrade(fresh_engine)

    current, head = migrations.current_and_head(fresh_engine)
    assert current == head is not None
    assert _tables(fresh_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert _schema_differences(fresh_engine) == []


def test_the_schema_comparison_notices_a_table_the_migrations_do_not_create(fresh_engine):
    # Guards the test above: an empty diff must come from a matching schema, not from a blind comparison.
    migrations.upgrade(fresh_engine)
    extended = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(extended)
    Table("unmigrated", extended, Column("id", Integer, primary_key=True))

    differences = _schema_differences(fresh_engine, extended)

    assert [d[0] for d in differences if isinstance(d, tuple)] == ["add_table"]
    assert differences[0][1].name == "unmigrated"  # type: ignore[index]


def test_the_migrated_schema_enforces_one_open_stage_per_project(fresh_engine):
    migrations.upgrade(fresh_engine)
    unique_partial = [ix for ix in inspect(fresh_engine).get_indexes("stage_occurrences")
                      if ix["name"] == "uq_stage_occurrences_open_per_project"]
    assert len(unique_partial) == 1
    assert unique_partial[0]["unique"]
    where = unique_partial[0].get("dialect_options", {})
    assert any("left_at IS NULL" in str(v) for v in where.values()), where


def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(fresh_engine):
    migrations.upgrade(fresh_engine)

    migrations.downgrade(fresh_engine, "base")

    assert _tables(fresh_engine) <= {"alembic_version"}
    assert migrations.current_and_head(fresh_engine)[0] is None

    migrations.upgrade(fresh_engine)

    assert _tables(fresh_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert _schema_differences(fresh_engine) == []


def test_every_revision_upgrades_downgrades_and_upgrades_again_one_step_at_a_time(fresh_engine):
    revisions = _revisions()
    assert revisions, "no migrations found"
    for revision in revisions:
        migrations.upgrade(fresh_engine, revision)
        after_upgrade = _tables(fresh_engine)
        migrations.downgrade(fresh_engine, "-1")
        migrations.upgrade(fresh_engine, revision)
        assert _tables(fresh_engine) == after_upgrade, revision
        assert migrations.current_and_head(fresh_engine)[0] == revision
    assert _schema_differences(fresh_engine) == []
