"""Alembic environment: runs migrations against BIZEXT_DATABASE_URL (or a connection handed in)."""

from alembic import context

from bizext.config import Settings
from bizext.db.models import Base

config = context.config
# Only autogenerate compares against the models; the version files themselves are static.
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bizext.db.session import make_engine

    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `bizext migrate`")
run_migrations()
